/**
 * `npm run bench:runs` — the CPU of one run of each product workflow, in isolation (issue 21).
 *
 * `npm run bench:turn` prices a whole customer turn from outside the service; its rounds move ±10 % on a shared
 * VM, so a change worth a few percent of a turn cannot be seen there. This bench runs only the two workflows a
 * turn runs — conversation-typification, then human-handoff on the same conversation — with the embedded model
 * on SQLite configured as in the service's processing thread (one connection, its transaction held open for a
 * 20 ms window shared by the runs under way), `--concurrency` conversations at once, and prints this process's
 * CPU (user + system, every thread: SQLite's commits and checkpoints included) per run of each. `--storage
 * memory` runs the same on MemoryStorage: the difference is what storing a run costs.
 *
 *   npm run bench:runs                                   # 1,500 conversations a round after 3 warm-up rounds, 5 rounds
 *   npm run bench:runs -- --storage memory
 *   npm run bench:runs -- --rounds 3 --conversations 500
 *   npm run bench:runs -- --same-conversations --warmup 20 --conversations 300   # turns 21… of long conversations
 *
 * Writes bench/results/runs.json. One process, a temporary database removed at the end; nothing leaves the machine.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MemoryStorage, SqliteStorage, type Storage } from '../src/engine/index.js';
import { createWorkflows, CONVERSATION_TYPIFICATION, HUMAN_HANDOFF, type WorkflowId } from '../src/workflows/registry.js';
import { workflowDeps } from '../test/helpers/workflow-deps.js';
import { table } from './lib.js';
import { median, TEXTS } from './turn-harness.js';

const { values: args } = parseArgs({
  options: {
    conversations: { type: 'string', default: '1500' },
    rounds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '8' },
    storage: { type: 'string', default: 'sqlite' },
    /**
     * Every round is the next turn of the SAME conversations, so the measured turns are turns warmup + 1… of
     * conversations with their state as their earlier turns left it.
     */
    'same-conversations': { type: 'boolean', default: false },
  },
});
const CONVERSATIONS = Number(args.conversations);
const ROUNDS = Number(args.rounds);
const WARMUP_ROUNDS = Number(args.warmup);
const CONCURRENCY = Number(args.concurrency);
if (args.storage !== 'sqlite' && args.storage !== 'memory') throw new Error('--storage must be sqlite or memory');

const dir = mkdtempSync(join(tmpdir(), 'zapflow-bench-runs-'));
// As the processing thread opens it (src/service/open-stores.ts): one connection, a 20 ms commit window.
const storage: Storage = args.storage === 'memory'
  ? new MemoryStorage()
  : new SqliteStorage({ dbFile: join(dir, 'zapflow.db'), holdOpen: true, holdForMs: 20, lockWanted: () => false });
await storage.init();
const workflows = createWorkflows(workflowDeps(storage));

/** CPU µs a run of `workflow` over conversations [first, first + CONVERSATIONS), CONCURRENCY at once. */
async function cpuPerRun(workflow: WorkflowId, first: number, turn: number): Promise<number> {
  let next = 0;
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (let i = next++; i < CONVERSATIONS; i = next++) {
      const conversationKey = `meta:55119${String(first + i).padStart(8, '0')}`;
      const result = await workflows[workflow].run({
        runId: `${workflow}:${first + i}:${turn}`,
        sessionId: conversationKey,
        message: { messages: [{ role: 'customer', text: TEXTS[i % TEXTS.length]! }] },
        additionalData: { conversationKey, handoffRef: `${first + i}.${turn}`, batchMessageIds: [`wamid.${first + i}`] },
      });
      if (result.status !== 'completed') throw new Error(`${workflow} run ${result.runId} ended ${result.status}: ${result.error?.message ?? ''}`);
    }
  }));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / CONVERSATIONS;
}

/** A turn's two runs, as the service runs them: typification, then the handoff decision on the same conversation. */
async function round(index: number): Promise<{ typification: number; handoff: number }> {
  const first = args['same-conversations'] ? 0 : index * CONVERSATIONS;
  return { typification: await cpuPerRun(CONVERSATION_TYPIFICATION, first, index), handoff: await cpuPerRun(HUMAN_HANDOFF, first, index) };
}

try {
  for (let i = 0; i < WARMUP_ROUNDS; i++) await round(i);
  const measured: Array<{ typification: number; handoff: number }> = [];
  for (let i = 0; i < ROUNDS; i++) {
    measured.push(await round(WARMUP_ROUNDS + i));
    const last = measured[measured.length - 1]!;
    console.log(`round ${i + 1}/${ROUNDS}: typification ${last.typification.toFixed(0)} µs, handoff ${last.handoff.toFixed(0)} µs a run (load ${loadavg()[0]!.toFixed(1)})`);
  }
  const typification = median(measured.map((m) => m.typification));
  const handoff = median(measured.map((m) => m.handoff));
  const shape = args['same-conversations'] ? `the same ${CONVERSATIONS} conversations every round (turns ${WARMUP_ROUNDS + 1}–${WARMUP_ROUNDS + ROUNDS} of each)` : `${CONVERSATIONS} new conversations a round`;
  console.log(`\n${shape}, ${CONCURRENCY} at once, ${WARMUP_ROUNDS} warm-up rounds, ${args.storage} storage, median of ${ROUNDS}\n`);
  console.log(table(['', 'typification CPU µs a run', 'handoff CPU µs a run', 'both (a turn\'s runs)'], [
    ...measured.map((m, i) => [`round ${i + 1}`, m.typification.toFixed(0), m.handoff.toFixed(0), (m.typification + m.handoff).toFixed(0)]),
    ['median', typification.toFixed(0), handoff.toFixed(0), median(measured.map((m) => m.typification + m.handoff)).toFixed(0)],
  ]));
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(join(import.meta.dirname, 'results', 'runs.json'), JSON.stringify({ options: args, rounds: measured, median: { typification, handoff } }, null, 2));
} finally {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
}
