/**
 * Parent side of the kill tests: spawns test/helpers/kill-worker.ts, watches its stdout, SIGKILLs it, and
 * reads back what happened (the executions side table). Every child is killed or awaited: no leftovers.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { seededRandom } from '../../src/agents/embedded/random.js';

export interface WorkerEnv {
  ZF_STORAGE: 'sqlite' | 'postgres';
  ZF_DB_FILE?: string;
  ZF_DB_URL?: string;
  ZF_SCHEMA?: string;
  ZF_EXECUTIONS_FILE: string;
  ZF_GENERATION: string;
  ZF_MODE: 'run' | 'recover';
  ZF_RUNS: string;
}

export class Worker {
  readonly lines: string[] = [];
  executions = 0;
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;
  private waiters: Array<() => void> = [];

  constructor(env: WorkerEnv) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/kill-worker.ts'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffered = '';
    this.child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      for (const line of complete) {
        this.lines.push(line);
        if (line.startsWith('exec ')) this.executions++;
      }
      this.notify();
    });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on('close', (code) => {
      this.notify();
      resolve(code);
    }));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL (no cleanup, no flush): true if the process was still alive. */
  async kill(): Promise<boolean> {
    const alive = this.running;
    if (alive) this.child.kill('SIGKILL');
    await this.exited;
    return alive;
  }

  /** Resolves when `done()` holds or the process ends; false on timeout. */
  async until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!done() && this.running) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return done();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

export interface Execution { id: number; run_id: string; step_path: string; generation: number }

export function readExecutions(file: string): Execution[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT id, run_id, step_path, generation FROM executions ORDER BY id').all() as Execution[];
  } finally {
    db.close();
  }
}

/**
 * Re-executions the crash model allows: a step runs again only because it was in flight when its process was
 * killed. So every execution of a step but the last must be in a killed generation, as the last execution of
 * its lane there (the run's main line, or one Parallel branch) and among the run's last few executions of that
 * generation — and no step runs twice within one generation. (A step can be in flight at two kills in a row:
 * killed, re-executed first thing after the restart, killed again.) Returns one description per violation.
 */
export function unexplainedReexecutions(
  executions: Execution[],
  killedGenerations: Set<number>,
  laneOf: (stepPath: string) => string,
  window: number,
): string[] {
  const problems: string[] = [];
  const group = (key: (e: Execution) => string) => {
    const groups = new Map<string, Execution[]>();
    for (const execution of executions) groups.set(key(execution), [...(groups.get(key(execution)) ?? []), execution]);
    return groups;
  };
  const byStep = group((e) => `${e.run_id} ${e.step_path}`);
  const byRunGeneration = group((e) => `${e.run_id} ${e.generation}`);
  const byLaneGeneration = group((e) => `${e.run_id} ${e.generation} ${laneOf(e.step_path)}`);
  for (const [stepKey, runs] of byStep) {
    for (const [index, execution] of runs.slice(0, -1).entries()) {
      const next = runs[index + 1]!;
      const lastInLane = byLaneGeneration.get(`${execution.run_id} ${execution.generation} ${laneOf(execution.step_path)}`)?.at(-1);
      const recent = (byRunGeneration.get(`${execution.run_id} ${execution.generation}`) ?? []).slice(-window);
      const inFlightAtKill = killedGenerations.has(execution.generation) && lastInLane?.id === execution.id && recent.some((e) => e.id === execution.id);
      if (next.generation === execution.generation || !inFlightAtKill) {
        problems.push(`${stepKey} ran again in generation ${next.generation} although it had completed in generation ${execution.generation}`);
      }
    }
  }
  return problems;
}

/** Seeded PRNG (mulberry32): a failing kill schedule can be replayed from the printed seed. */
export { seededRandom };
