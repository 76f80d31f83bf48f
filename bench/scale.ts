/**
 * `npm run bench:scale`: conversation turns per second and ack → reply latency with 1, 2 and 3 `zapflow worker`
 * processes behind one `zapflow serve --role web`, on one Postgres (DATABASE_URL, a fresh table prefix per model),
 * for (a) Claude behind a fake Anthropic server answering every call in 400 ms, (b) the embedded model; plus the
 * pg-boss floor: empty jobs/s through the same `stately` policy on the same database.
 *
 * Each phase sends one message to each of `--conversations` new conversations at once (signed Meta webhooks) and
 * measures from the first ack to the last reply handed to the (fake) provider. Writes bench/results/scale.json. Workers run at most
 * `--per-worker` turns at once (MAX_CONCURRENT_CONVERSATIONS): a worker's capacity is bounded, adding workers adds
 * capacity — which is what the ratios measure. Where the time goes: the step-duration sums from every worker's
 * /metrics. All three workers start and are warmed up (two turns per slot, not measured); the phases then run
 * with 3, 2 and 1 of them (one stopped between phases), the web process staying up.
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test npm run bench:scale -- [--conversations 24] [--per-worker 4] [--models claude,embedded]
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { silentLogger } from '../src/logging.js';
import { TurnQueue } from '../src/service/turn-queue.js';
import { buildMetaTextWebhook } from '../src/webhooks/sign.js';
import { startFakeClaude } from '../test/helpers/fake-claude.js';
import { startFakeMeta } from '../test/helpers/fake-meta.js';
import type { FakeProvider } from '../test/helpers/mcp-fake-provider.js';
import { CLUSTER_SECRETS, ZapflowProcess, clusterEnv } from '../test/helpers/scale-out-cluster.js';
import { table } from './lib.js';

const { values: args } = parseArgs({
  options: {
    conversations: { type: 'string', default: '24' },
    'per-worker': { type: 'string', default: '4' },
    models: { type: 'string', default: 'claude,embedded' },
    'floor-jobs': { type: 'string', default: '600' },
  },
});
const CONVERSATIONS = Number(args.conversations);
const PER_WORKER = Number(args['per-worker']);
const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const PHONE_NUMBER_ID = '100000000000002';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

interface Phase { model: string; workers: number; turnsPerSecond: number; p50: number; p99: number; steps: Map<string, number> }

async function stepSeconds(workers: ZapflowProcess[]): Promise<Map<string, number>> {
  const sums = new Map<string, number>();
  for (const worker of workers) {
    const text = await (await fetch(`${worker.url}/metrics`)).text();
    for (const match of text.matchAll(/^zapflow_step_duration_seconds_sum\{workflow="([^"]+)",step="([^"]+)"\} ([\d.e+-]+)$/gm)) {
      const key = `${match[1]}/${match[2]}`;
      sums.set(key, (sums.get(key) ?? 0) + Number(match[3]));
    }
  }
  return sums;
}

/** One signed Meta webhook from each phone at once; resolves with each ack time and each first reply's arrival. */
async function sendAndAwaitReplies(web: ZapflowProcess, meta: FakeProvider, phones: string[]): Promise<{ acks: Map<string, number>; replyAt: Map<string, number> }> {
  const acks = new Map<string, number>();
  const repliedBefore = meta.accepted.length;
  await Promise.all(phones.map(async (phone) => {
    const request = buildMetaTextWebhook({ appSecret: CLUSTER_SECRETS.appSecret, from: phone, text: 'a maquininha não liga, o que eu faço?' });
    const response = await fetch(`${web.url}${request.path}`, { method: 'POST', headers: request.headers, body: request.body });
    if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
    acks.set(phone, performance.now());
  }));
  const deadline = Date.now() + 300_000;
  const replyAt = new Map<string, number>();
  while (replyAt.size < phones.length && Date.now() < deadline) {
    for (const request of meta.accepted.slice(repliedBefore)) {
      const to = (request.body as { to?: string }).to ?? '';
      if (acks.has(to) && !replyAt.has(to)) replyAt.set(to, request.receivedAt);
    }
    await sleep(100);
  }
  if (replyAt.size < phones.length) throw new Error(`${replyAt.size}/${phones.length} replies in 5 min`);
  return { acks, replyAt };
}

async function runModel(model: 'claude' | 'embedded'): Promise<Phase[]> {
  const claude = model === 'claude' ? await startFakeClaude({ delayMs: 400 }) : undefined;
  const meta = await startFakeMeta({ phoneNumberId: PHONE_NUMBER_ID });
  const prefix = `bsc${randomBytes(3).toString('hex')}_`;
  const env = clusterEnv({
    databaseUrl, claudeBaseURL: claude?.baseURL ?? 'http://127.0.0.1:9', metaGraphUrl: meta.url,
    extra: {
      ZAPFLOW_TABLE_PREFIX: prefix, META_PHONE_NUMBER_ID: PHONE_NUMBER_ID, COALESCE_WINDOW_MS: '100',
      MAX_CONCURRENT_CONVERSATIONS: String(PER_WORKER), LOG_LEVEL: 'error',
      ...(model === 'embedded' ? { ANTHROPIC_API_KEY: '', ANTHROPIC_BASE_URL: '' } : {}),
    },
  });
  const web = new ZapflowProcess('web', `bench-web-${model}`, env);
  const workers = [1, 2, 3].map((count) => new ZapflowProcess('worker', `bench-worker-${model}-${count}`, env));
  const phases: Phase[] = [];
  try {
    await web.start(120_000);
    for (const worker of workers) await worker.start(120_000);
    // Warm-up, not measured: a fresh worker's first turns run cold code (V8 has not optimized it yet, first
    // connections, first prepared statements) and take several times longer on this machine. Adding a cold
    // worker for each phase charged that to every phase — a fixed ~2.5 s that capped the ratios. Workers in
    // production run for days: the phases measure warm workers, from 3 down to 1 (stopping one between phases).
    await sendAndAwaitReplies(web, meta, Array.from({ length: 3 * PER_WORKER * 2 }, (_, i) => `5511800${model === 'claude' ? 1 : 2}${String(i).padStart(5, '0')}`));
    for (let count = 3; count >= 1; count--) {
      const active = workers.slice(0, count);
      await sleep(1000);
      const before = await stepSeconds(active);
      const phones = Array.from({ length: CONVERSATIONS }, (_, i) => `55119${count}${model === 'claude' ? 1 : 2}${String(i).padStart(6, '0')}`);
      const { acks, replyAt } = await sendAndAwaitReplies(web, meta, phones);
      const firstAck = Math.min(...acks.values());
      const lastReply = Math.max(...replyAt.values());
      const latencies = phones.map((phone) => replyAt.get(phone)! - acks.get(phone)!);
      const after = await stepSeconds(active);
      const steps = new Map([...after].map(([key, sum]) => [key, sum - (before.get(key) ?? 0)]));
      phases.push({ model, workers: count, turnsPerSecond: phones.length / ((lastReply - firstAck) / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99), steps });
      console.error(`${model}: ${count} worker(s) done`);
      if (count > 1) await workers[count - 1]!.stop();
    }
  } finally {
    await Promise.all([web, ...workers].map((p) => p.destroy()));
    await Promise.all([claude?.close(), meta.close()]);
  }
  phases.sort((a, b) => a.workers - b.workers);
  return phases;
}

/** Empty jobs through the same turn queue (policy, worker options) on the same database, at the same total concurrency. */
async function pgBossFloor(jobs: number, concurrency: number): Promise<number> {
  const schema = `bsc${randomBytes(3).toString('hex')}_queue`;
  const queue = new TurnQueue({ databaseUrl, schema, heartbeatSeconds: 10, superviseIntervalSeconds: 5, supervise: true, logger: silentLogger });
  await queue.start();
  try {
    const keys = Array.from({ length: jobs }, (_, i) => `floor:${i}`);
    for (let i = 0; i < keys.length; i += 50) await queue.enqueue(keys.slice(i, i + 50), 0);
    let done = 0;
    const startedAt = performance.now();
    await queue.work(concurrency, async () => {
      done++;
    });
    while (done < jobs) await sleep(20);
    return jobs / ((performance.now() - startedAt) / 1000);
  } finally {
    await queue.stop();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

const load = loadavg()[0]!.toFixed(1);
const all: Phase[] = [];
for (const model of args.models.split(',').filter(Boolean) as Array<'claude' | 'embedded'>) all.push(...(await runModel(model)));
const floor = await pgBossFloor(Number(args['floor-jobs']), 3 * PER_WORKER);

const rows = all.map((phase) => {
  const base = all.find((p) => p.model === phase.model && p.workers === 1)!;
  return [
    phase.model === 'claude' ? 'Claude (fake, 400 ms/call)' : 'embedded model', phase.workers, phase.turnsPerSecond,
    `${(phase.turnsPerSecond / base.turnsPerSecond).toFixed(2)}×`, Math.round(phase.p50), Math.round(phase.p99),
  ];
});
console.log(`\nbench:scale — ${CONVERSATIONS} conversations per phase, ${PER_WORKER} turns at once per worker, load average at start ${load}\n`);
console.log(table(['model', 'workers', 'turns/s', '× 1 worker', 'p50 ack→provider ms', 'p99 ms'], rows));
console.log(`\npg-boss floor (the same turn queue: stately, same worker options; empty jobs, ${3 * PER_WORKER} at once): ${Math.round(floor)} jobs/s`);
for (const phase of all.filter((p) => p.workers === 3)) {
  const total = [...phase.steps.values()].reduce((a, b) => a + b, 0);
  const top = [...phase.steps].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([step, s]) => `${step} ${Math.round((100 * s) / total)}%`);
  console.log(`where the step time goes (${phase.model}, 3 workers): ${top.join(', ')}`);
}

mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', 'scale.json'), JSON.stringify({
  conversations: CONVERSATIONS, perWorker: PER_WORKER, loadAverage: Number(load), floorJobsPerSecond: floor,
  phases: all.map((phase) => ({ ...phase, steps: Object.fromEntries(phase.steps) })),
}, null, 2));
