/**
 * Where a turn's CPU goes: reads the V8 CPU profiles `npm run bench:turn -- --cpu-prof <dir>` wrote (one per
 * thread of the processing service) and keeps only the samples of the measured conversations (the window the
 * bench recorded on the same monotonic clock: start-up, warm-up and shutdown are left out). Each sample is
 * charged to the innermost frame of our own code on its stack (so better-sqlite3 called by the engine storage
 * counts as the engine storage), bucketed by area; samples with none of our code on the stack go by package.
 *
 *   npx tsx bench/turn-profile.ts /tmp/turn-prof          # a table in ms per turn, per thread and in total
 *   npx tsx bench/turn-profile.ts /tmp/turn-prof --files  # also the top files and functions
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { table } from './lib.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}
interface Window {
  pid: number;
  startUs: number;
  endUs: number;
  conversations: number;
}

/** Areas, first match wins (on the innermost src/ file of the stack, else on the leaf's package). */
const AREAS: Array<[string, RegExp]> = [
  ['engine storage (SQLite: step commits, runs, outbox)', /^src\/engine\/storage\//],
  ['engine runner (runs, steps, events, state)', /^src\/engine\//],
  ['service tables (inbox, conversations, cases, people)', /^src\/(conversations\/store|people)\//],
  ['MCP client + server, WhatsApp sender', /^src\/mcp\/|@modelcontextprotocol|^npm:ajv/],
  ['embedded model (classifier, escalation)', /^src\/agents\//],
  ['workflows (steps, protocol, reply text)', /^src\/workflows\/|^src\/taxonomy\//],
  ['pipeline (dispatch, processor, outbox delivery, cases)', /^src\/(conversations|processing|cron)\//],
  ['webhook intake (HTTP, verify, normalize)', /^src\/(webhooks|http)\//],
  // writeString is pino's file write; writev is a socket's (the HTTP client's or the server's), not logging.
  ['logging', /^src\/logging|npm:pino|npm:sonic-boom|^writeString$/],
  ['zod (outside our frames)', /npm:zod/],
  ['HTTP client (undici, async parts)', /undici|node:_http|node:net|node:internal\/streams|^writev$/],
  ['garbage collector', /garbage collector/],
];

function area(node: ProfileNode, byId: Map<number, ProfileNode>, parent: Map<number, number>): { area: string; file: string } {
  let leafLabel = '';
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const frame = byId.get(id)!.callFrame;
    const src = /\/(src\/[^?]*)/.exec(frame.url);
    if (src && !frame.url.includes('node_modules')) {
      const file = src[1]!;
      return { area: AREAS.find(([, pattern]) => pattern.test(file))?.[0] ?? `other: ${file}`, file: `${file} ${frame.functionName || '(anonymous)'}` };
    }
    if (!leafLabel) {
      const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(frame.url);
      leafLabel = pkg ? `npm:${pkg[1]}` : frame.url.startsWith('node:') ? frame.url : frame.functionName;
    }
  }
  return { area: AREAS.find(([, pattern]) => pattern.test(leafLabel))?.[0] ?? 'Node internals, microtasks, other', file: leafLabel };
}

const dir = process.argv[2];
if (!dir) throw new Error('usage: tsx bench/turn-profile.ts <dir written by bench:turn --cpu-prof>');
const showFiles = process.argv.includes('--files');
const windows = readdirSync(dir).filter((f) => f.startsWith('window-')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Window);
for (const window of windows) {
  const perArea = new Map<string, number[]>();
  const perFile = new Map<string, number>();
  const profiles = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && f.split('.')[3] === String(window.pid)).sort();
  profiles.forEach((file, thread) => {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
    let time = profile.startTime;
    profile.samples.forEach((id, i) => {
      time += profile.timeDeltas[i]!;
      if (time < window.startUs || time > window.endUs) return;
      const node = byId.get(id)!;
      if (node.callFrame.functionName === '(idle)') return;
      const dt = profile.timeDeltas[i + 1] ?? 0;
      const { area: name, file: label } = area(node, byId, parent);
      const row = perArea.get(name) ?? profiles.map(() => 0);
      row[thread]! += dt;
      perArea.set(name, row);
      perFile.set(`${thread}: ${label}`, (perFile.get(`${thread}: ${label}`) ?? 0) + dt);
    });
  });
  const perTurn = (us: number): string => (us / 1000 / window.conversations).toFixed(3);
  const total = [...perArea.values()].reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
  const rows = [...perArea.entries()].sort((a, b) => b[1].reduce((x, y) => x + y, 0) - a[1].reduce((x, y) => x + y, 0));
  console.log(`service pid ${window.pid}: ${window.conversations} conversations, ${(total / 1000).toFixed(0)} ms of CPU sampled in the window (threads: ${profiles.length})\n`);
  console.log(table(
    ['where', ...profiles.map((_, i) => (i === 0 ? 'main thread ms/turn' : `thread ${i} ms/turn`)), 'total ms/turn', 'share'],
    [
      ...rows.map(([name, row]) => {
        const sum = row.reduce((a, b) => a + b, 0);
        return [name, ...row.map(perTurn), perTurn(sum), `${((sum / total) * 100).toFixed(1)} %`];
      }),
      ['total', ...profiles.map((_, i) => perTurn(rows.reduce((sum, [, row]) => sum + row[i]!, 0))), perTurn(total), '100 %'],
    ],
  ));
  if (showFiles) {
    console.log('\ntop frames (innermost of our code, else the leaf):');
    for (const [label, us] of [...perFile.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${perTurn(us).padStart(7)} ms/turn  ${label}`);
  }
}
