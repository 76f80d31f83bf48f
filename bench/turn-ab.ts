/**
 * `npm run bench:turn:ab -- --against <git ref>` — the CPU of a customer's turn, this checkout against another
 * commit, both measured in the same seconds (issue 21 asks for same-run ratios).
 *
 * Why a second bench: on a shared 2-core VM the same code measured 3.7 to 6.1 ms a turn in `bench:turn` sittings
 * minutes apart, and an A/B of windows taken one after the other gave round ratios from 0.78 to 1.37 — a 10 %
 * change could not be seen. Here both services take their conversations AT THE SAME TIME, so what slows the
 * machine slows both; the ratios of a round then stayed within about ±10 % of their median.
 *
 * Both services (embedded SQLite, embedded model, a fake Graph API each) warm up with `--warmup` conversations,
 * then `--rounds` rounds: each gets `--conversations` new single-message conversations at once, drained; the
 * process's CPU per message of each (acks included — both take the same webhooks, so the acks cancel out of
 * the comparison but not out of the ratio: the ratio understates a change of the turn alone). Prints each
 * round and the median ratio (this checkout ÷ the other); writes bench/results/turn-ab.json.
 *
 *   npm run bench:turn:ab -- --against HEAD~1
 *   npm run bench:turn:ab -- --against-dir /path/to/other/checkout   # a commit whose dependencies differ, installed
 *   npm run bench:turn:ab -- --against HEAD --this-env NODE_OPTIONS=--v8-pool-size=1   # a setting, same code
 *
 * `--against` checks the commit out in a temporary git worktree that uses this checkout's node_modules, removed
 * at the end. Loopback only; every process it starts is stopped before it exits.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FAKE_META_DEFAULTS, startFakeMeta } from '../test/helpers/fake-meta.js';
import type { FakeProvider } from '../test/helpers/mcp-fake-provider.js';
import { table } from './lib.js';
import { conversations, drained, median, processCpuMs, processWrittenKb, sendAll, Service } from './turn-harness.js';
import { freePort, repoRoot } from './webhook-harness.js';

const { values: args } = parseArgs({
  options: {
    against: { type: 'string' },
    'against-dir': { type: 'string' },
    rounds: { type: 'string', default: '6' },
    conversations: { type: 'string', default: '400' },
    warmup: { type: 'string', default: '1500' },
    concurrency: { type: 'string', default: '8' },
    /** Extra environment for this checkout's service only, e.g. `--this-env NODE_OPTIONS=--v8-pool-size=1` (repeatable). */
    'this-env': { type: 'string', multiple: true, default: [] },
  },
});
const ROUNDS = Number(args.rounds);
const CONVERSATIONS = Number(args.conversations);
const WARMUP = Number(args.warmup);
const CONCURRENCY = Number(args.concurrency);
if (!args.against === !args['against-dir']) {
  console.error('usage: npm run bench:turn:ab -- --against <git ref> | --against-dir <checkout>   [--rounds 6 --conversations 400 --warmup 1500]');
  process.exit(2);
}

/** A worktree of `ref` beside this checkout, sharing its installed dependencies. */
function worktreeOf(ref: string): { dir: string; remove: () => void } {
  const dir = join(mkdtempSync(join(tmpdir(), 'zapflow-turn-ab-')), 'checkout');
  execFileSync('git', ['-C', repoRoot, 'worktree', 'add', '--detach', dir, ref], { stdio: 'ignore' });
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  return {
    dir,
    remove: () => {
      execFileSync('git', ['-C', repoRoot, 'worktree', 'remove', '--force', dir], { stdio: 'ignore' });
      rmSync(join(dir, '..'), { recursive: true, force: true });
    },
  };
}

interface Side {
  label: string;
  service: Service;
  meta: FakeProvider;
  /** Replies the fake has to have accepted once this side is drained. */
  expected: number;
}

interface Window {
  cpuMsPerMessage: number;
  kbPerMessage: number;
}

let nextCustomer = 0;

/** `count` new conversations to one side, drained; its process's CPU and bytes written per message. */
async function measure(side: Side, count: number): Promise<Window> {
  const first = nextCustomer;
  nextCustomer += count;
  const cpu = processCpuMs(side.service.pid);
  const kb = processWrittenKb(side.service.pid);
  await sendAll(side.service.url, conversations(first, count), CONCURRENCY);
  side.expected += count;
  await drained(side.service, side.meta, side.expected);
  return { cpuMsPerMessage: (processCpuMs(side.service.pid) - cpu) / count, kbPerMessage: (processWrittenKb(side.service.pid) - kb) / count };
}

const thisEnv = Object.fromEntries(args['this-env'].map((pair) => {
  const at = pair.indexOf('=');
  if (at <= 0) throw new Error(`--this-env takes NAME=value, got ${JSON.stringify(pair)}`);
  return [pair.slice(0, at), pair.slice(at + 1)];
}));

async function side(label: string, root: string, extraEnv: Record<string, string> = {}): Promise<Side> {
  const meta = await startFakeMeta();
  const env = { META_ACCESS_TOKEN: FAKE_META_DEFAULTS.token, META_PHONE_NUMBER_ID: FAKE_META_DEFAULTS.phoneNumberId, META_GRAPH_URL: meta.url, ...extraEnv };
  return { label, meta, service: new Service(await freePort(), env, { root }), expected: 0 };
}


const worktree = args.against ? worktreeOf(args.against) : undefined;
const otherRoot = worktree?.dir ?? args['against-dir']!;
const otherLabel = args.against ?? otherRoot;
const other = await side(otherLabel, otherRoot);
const self = await side('this checkout', repoRoot, thisEnv);
const rounds: Array<{ other: Window; self: Window; ratio: number; load1: number }> = [];
try {
  await Promise.all([other.service.start(), self.service.start()]);
  await Promise.all([measure(other, WARMUP), measure(self, WARMUP)]);
  for (let round = 1; round <= ROUNDS; round++) {
    const load1 = loadavg()[0]!;
    const [o, s] = await Promise.all([measure(other, CONVERSATIONS), measure(self, CONVERSATIONS)]);
    rounds.push({ other: o, self: s, ratio: s.cpuMsPerMessage / o.cpuMsPerMessage, load1 });
    console.log(`round ${round}/${ROUNDS}: ${otherLabel} ${o.cpuMsPerMessage.toFixed(2)} ms/msg, this ${s.cpuMsPerMessage.toFixed(2)} ms/msg, ratio ${(s.cpuMsPerMessage / o.cpuMsPerMessage).toFixed(3)} (load ${load1.toFixed(1)})`);
  }
} finally {
  await Promise.all([other.service.stop(), self.service.stop()]);
  await Promise.all([other.meta.close(), self.meta.close()]);
  worktree?.remove();
}

for (const { meta, label } of [other, self]) {
  if (meta.violations.length > 0) throw new Error(`fake Meta of ${label} saw bad requests: ${meta.violations.join('; ')}`);
}
const ratio = median(rounds.map((r) => r.ratio));
console.log(`\n${CONVERSATIONS} single-message conversations a round to each at once, ${WARMUP} warm-up each, ${ROUNDS} rounds\n`);
console.log(table(
  ['', `${otherLabel} CPU ms/msg`, 'this CPU ms/msg', 'this ÷ other', `${otherLabel} KB/msg`, 'this KB/msg'],
  [
    ...rounds.map((r, i) => [`round ${i + 1}`, r.other.cpuMsPerMessage.toFixed(2), r.self.cpuMsPerMessage.toFixed(2), r.ratio.toFixed(3), r.other.kbPerMessage.toFixed(0), r.self.kbPerMessage.toFixed(0)]),
    ['median', median(rounds.map((r) => r.other.cpuMsPerMessage)).toFixed(2), median(rounds.map((r) => r.self.cpuMsPerMessage)).toFixed(2), ratio.toFixed(3),
      median(rounds.map((r) => r.other.kbPerMessage)).toFixed(0), median(rounds.map((r) => r.self.kbPerMessage)).toFixed(0)],
  ],
));
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', 'turn-ab.json'), JSON.stringify({ against: otherLabel, conversations: CONVERSATIONS, warmup: WARMUP, rounds, ratio }, null, 2));
