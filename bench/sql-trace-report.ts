/**
 * Reads what bench/sql-trace.cjs wrote and prints, per process and thread, the statements by CPU: calls and CPU
 * per conversation, CPU and wall per call. The trace covers the whole life of the service (warm-up and measured
 * conversations alike, which have the same shape in bench:turn), so "per conversation" divides by all of them.
 *
 *   npx tsx bench/sql-trace-report.ts /tmp/sql                      # bench:turn's default: 3,000 + 1,600 conversations
 *   npx tsx bench/sql-trace-report.ts /tmp/sql --conversations 4600 --top 40
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { table } from './lib.js';

interface Totals {
  calls: number;
  cpuUs: number;
  wallUs: number;
}

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { conversations: { type: 'string', default: '4600' }, top: { type: 'string', default: '30' } },
});
const dir = positionals[0];
if (!dir) throw new Error('usage: npx tsx bench/sql-trace-report.ts <SQL_TRACE_DIR> [--conversations N] [--top N]');
const conversations = Number(args.conversations);
const top = Number(args.top);

for (const name of readdirSync(dir).filter((file) => /^sql-\d+-\d+\.json$/.test(file)).sort()) {
  const trace = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { pid: number; thread: number; statements: Record<string, Totals> };
  const rows = Object.entries(trace.statements).sort(([, a], [, b]) => b.cpuUs - a.cpuUs);
  const calls = rows.reduce((sum, [, totals]) => sum + totals.calls, 0);
  if (calls === 0) continue;
  const cpu = rows.reduce((sum, [, totals]) => sum + totals.cpuUs, 0);
  console.log(`\npid ${trace.pid}, thread ${trace.thread}: ${(calls / conversations).toFixed(1)} statements and ${(cpu / conversations).toFixed(0)} µs of CPU in them a conversation (${conversations} conversations)\n`);
  console.log(table(
    ['statement', 'calls a conv.', 'CPU µs a conv.', 'CPU µs a call', 'wall µs a call'],
    rows.slice(0, top).map(([sql, totals]) => [
      sql.length > 110 ? `${sql.slice(0, 109)}…` : sql,
      (totals.calls / conversations).toFixed(2),
      (totals.cpuUs / conversations).toFixed(1),
      (totals.cpuUs / totals.calls).toFixed(1),
      (totals.wallUs / totals.calls).toFixed(1),
    ]),
  ));
}
