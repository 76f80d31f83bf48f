/**
 * Runs the peers' persisted-workflow groups (../scratch/peers-bench or ../shared/peers-bench) in the same
 * sitting as zapflow's own figures: this machine's speed varies 1.5× from day to day, so only same-run
 * ratios mean anything. Each group runs in its own `node --expose-gc` process, like the peers' own runner.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface PeerFigure {
  peer: string;
  /** seq100 µs/step (sync durability where the peer has a choice). */
  usPerStep?: number;
  /** 3-step runs per second, awaited one after another. */
  runsPerSecond?: number;
  note?: string;
}

interface PeerRow { scenario: string; variant: string; us_per_step?: number; runs_per_s?: number; skipped?: string }

const GROUPS: Array<{ peer: string; script: string; group: string; seq: RegExp; runs: RegExp; needsPostgres: boolean }> = [
  { peer: 'Mastra + LibSQLStore', script: 'mastra.mjs', group: 'libsql', seq: /^libsql-file$/, runs: /^libsql-file sequential$/, needsPostgres: false },
  { peer: 'Mastra + PostgresStore', script: 'mastra.mjs', group: 'postgres', seq: /^postgres \(PostgresStore\)$/, runs: /^postgres sequential$/, needsPostgres: true },
  { peer: 'LangGraph.js + SqliteSaver', script: 'langgraph.mjs', group: 'sqlite', seq: /^sqlite-file durability=sync$/, runs: /^sqlite-file durability=async sequential$/, needsPostgres: false },
  { peer: 'LangGraph.js + PostgresSaver', script: 'langgraph.mjs', group: 'postgres', seq: /^postgres durability=sync$/, runs: /^postgres durability=async sequential$/, needsPostgres: true },
];

export function findPeersBench(): string | undefined {
  return [process.env.PEERS_BENCH_DIR ?? '', '../scratch/peers-bench', '../shared/peers-bench', '/work/scratch/peers-bench', '/work/shared/peers-bench']
    .find((dir) => existsSync(join(dir, 'node_modules')) && existsSync(join(dir, 'mastra.mjs')));
}

function runGroup(dir: string, script: string, group: string, databaseUrl: string | undefined): Promise<PeerRow[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', script, group], {
      cwd: dir,
      env: { ...process.env, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve((JSON.parse(last) as { rows: PeerRow[] }).rows);
      } catch {
        reject(new Error(`${script} ${group} exited ${code} without a report: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      }
    });
  });
}

export async function measurePeers(dir: string, databaseUrl: string | undefined, log: (line: string) => void): Promise<PeerFigure[]> {
  const figures: PeerFigure[] = [];
  const only = process.env.BENCH_PEERS?.toLowerCase().split(',');
  for (const spec of GROUPS) {
    if (only && !only.some((word) => spec.peer.toLowerCase().includes(word))) continue;
    if (spec.needsPostgres && !databaseUrl) {
      figures.push({ peer: spec.peer, note: 'skipped: no DATABASE_URL' });
      continue;
    }
    log(`peers: ${spec.script} ${spec.group} …`);
    try {
      const rows = await runGroup(dir, spec.script, spec.group, databaseUrl);
      const seq = rows.find((row) => row.scenario === 'seq100' && spec.seq.test(row.variant));
      const runs = rows.find((row) => row.scenario.startsWith('runs') && spec.runs.test(row.variant));
      figures.push({ peer: spec.peer, usPerStep: seq?.us_per_step, runsPerSecond: runs?.runs_per_s, note: seq?.skipped });
    } catch (error) {
      figures.push({ peer: spec.peer, note: `failed: ${(error as Error).message}` });
    }
  }
  return figures;
}
