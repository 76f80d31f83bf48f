/**
 * The peers (Mastra, LangGraph.js) measured in the same sitting, from ../shared/peers-bench's own scripts
 * (their `default` group: in memory, no storage). This machine's speed varies by 1.5× from day to day, so
 * only same-run ratios mean anything.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Row } from './lib.js';
import { table } from './lib.js';

interface PeerRow {
  scenario: string;
  variant: string;
  us_per_step?: number;
  runs_per_s?: number;
  median_ms: number;
}

export interface PeerDoc {
  peer: string;
  versions?: Record<string, string>;
  startup_ms: number;
  rss_after_import_mb: number;
  peak_rss_mb: number;
  rows: PeerRow[];
}

export interface PeerResults {
  dir: string;
  docs: PeerDoc[];
}

/** Where the peers are installed: PEERS_BENCH_DIR, else ../scratch/peers-bench, else ../shared/peers-bench. */
export function findPeersDir(root: string): string | undefined {
  const candidates = [process.env.PEERS_BENCH_DIR, resolve(root, '..', 'scratch', 'peers-bench'), resolve(root, '..', 'shared', 'peers-bench')];
  return candidates.find((dir): dir is string => dir !== undefined && existsSync(join(dir, 'node_modules')));
}

export function runPeers(root: string): PeerResults | undefined {
  const dir = findPeersDir(root);
  if (dir === undefined) {
    process.stderr.write('peers: no installed peers-bench found (run `npm ci` in ../shared/peers-bench, or set PEERS_BENCH_DIR)\n');
    return undefined;
  }
  const docs: PeerDoc[] = [];
  for (const peer of ['mastra', 'langgraph']) {
    process.stderr.write(`peer ${peer} (default group, ${dir})…\n`);
    const child = spawnSync(process.execPath, ['--expose-gc', `${peer}.mjs`, 'default'], { cwd: dir, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
    const last = child.stdout.trim().split('\n').pop();
    if (child.status !== 0 || last === undefined || last === '') {
      process.stderr.write(`peer ${peer} failed (status ${child.status}): ${child.stderr.slice(-1500)}\n`);
      continue;
    }
    docs.push(JSON.parse(last) as PeerDoc);
  }
  return { dir, docs };
}

export interface Comparison {
  peer: string;
  zapflowVariant: string;
  scenario: string;
  peerValue: number;
  zapflowValue: number;
  unit: 'µs/step' | 'runs/s';
  /** How many times better zapflow is (lower µs/step, or higher runs/s). */
  ratio: number;
}

/** Ratios of zapflow's variants (default; orchestration only) to each peer's default variant, scenario by scenario. */
export function peerComparison(rows: Row[], peers: PeerResults | undefined): Comparison[] | undefined {
  if (peers === undefined || peers.docs.length === 0) return undefined;
  const ours = rows.filter((r) => r.engine === 'zapflow' && (r.variant.startsWith('default') || r.variant.startsWith('orchestration')));
  const out: Comparison[] = [];
  for (const doc of peers.docs) {
    for (const mine of ours) {
      const label = mine.variant.startsWith('default') ? 'default' : 'orchestration only';
      const kind = mine.variant.includes('concurrency') ? 'concurrency' : mine.variant.includes('sequential') ? 'sequential' : '';
      const theirs = doc.rows.find((r) => r.scenario === mine.scenario && (kind === '' || r.variant.includes(kind)));
      if (theirs === undefined) continue;
      if (mine.scenario === 'runs1000' && theirs.runs_per_s !== undefined && mine.runs_per_s !== undefined) {
        out.push({ peer: doc.peer, zapflowVariant: label, scenario: `${mine.scenario} ${kind}`, peerValue: theirs.runs_per_s, zapflowValue: mine.runs_per_s, unit: 'runs/s', ratio: +(mine.runs_per_s / theirs.runs_per_s).toFixed(1) });
      } else if (theirs.us_per_step !== undefined && mine.us_per_step !== undefined) {
        out.push({ peer: doc.peer, zapflowVariant: label, scenario: mine.scenario, peerValue: theirs.us_per_step, zapflowValue: mine.us_per_step, unit: 'µs/step', ratio: +(theirs.us_per_step / mine.us_per_step).toFixed(1) });
      }
    }
  }
  return out;
}

export function printComparison(comparison: Comparison[], peers: PeerResults): void {
  console.log('\n## same-run ratios (× better than the peer; peers: their `default` group)\n');
  console.log(table(['peer', 'zapflow variant', 'scenario', 'peer', 'zapflow', 'unit', 'zapflow is ×'], comparison.map((c) => [c.peer, c.zapflowVariant, c.scenario, c.peerValue, c.zapflowValue, c.unit, c.ratio])));
  console.log('\npeers start-up: ' + peers.docs.map((d) => `${d.peer} ${d.startup_ms} ms, RSS after import ${d.rss_after_import_mb} MB, peak RSS ${d.peak_rss_mb} MB`).join('; '));
}
