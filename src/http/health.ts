/**
 * Liveness and readiness probes.
 *
 * - `GET /healthz`: the process answers HTTP, nothing more (a liveness probe must not fail because the
 *   database is down: restarting the process would not bring the database back).
 * - `GET /readyz`: every dependency check (storage ping, MCP client…) runs at once, each bounded by a short
 *   timeout, so a hung database makes the probe answer 503 in time instead of hanging the orchestrator.
 */
import { Router } from 'express';
import { HttpConfigError } from './errors.js';

export interface HealthRouterOptions {
  /** Named readiness checks: resolve when the dependency is usable, reject (or time out) when not. */
  checks: Record<string, () => Promise<void>>;
  /** Longest a single check may take before it counts as failed. @default 2000 */
  timeoutMs?: number;
  /** Facts shown beside the checks without failing them (e.g. that the WhatsApp sender is dry-run). @default none */
  details?: Record<string, string>;
}

export type CheckOutcome = 'ok' | string;

export interface ReadinessReport {
  ready: boolean;
  /** `'ok'` or the reason the check failed. */
  checks: Record<string, CheckOutcome>;
}

async function runCheck(check: () => Promise<void>, timeoutMs: number): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([Promise.resolve().then(check), timeout]);
    return 'ok';
  } catch (error) {
    return error instanceof Error ? error.message || error.name : String(error);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check concurrently; ready only when all pass. */
export async function checkReadiness(checks: HealthRouterOptions['checks'], timeoutMs: number): Promise<ReadinessReport> {
  const names = Object.keys(checks);
  const outcomes = await Promise.all(names.map((name) => runCheck(checks[name]!, timeoutMs)));
  const report: Record<string, CheckOutcome> = {};
  names.forEach((name, i) => {
    report[name] = outcomes[i]!;
  });
  return { ready: outcomes.every((outcome) => outcome === 'ok'), checks: report };
}

/** @throws HttpConfigError for a non-positive timeout. */
export function createHealthRouter(options: HealthRouterOptions): Router {
  const timeoutMs = options.timeoutMs ?? 2000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new HttpConfigError(`Health check timeoutMs must be a positive number of milliseconds (got ${timeoutMs}).`);

  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await checkReadiness(options.checks, timeoutMs);
    res.setHeader('Cache-Control', 'no-store');
    const details = options.details ? { details: options.details } : {};
    if (report.ready) res.status(200).json({ status: 'ready', checks: report.checks, ...details });
    else res.status(503).json({ status: 'not_ready', checks: report.checks, ...details });
  });
  return router;
}
