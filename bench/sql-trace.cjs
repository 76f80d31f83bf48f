// The CPU of each SQL statement a process runs, by SQL text and thread: a preload for the service under a bench.
//
//   SQL_TRACE_DIR=/tmp/sql BENCH_TURN_NODE_FLAGS="--require ./bench/sql-trace.cjs" npm run bench:turn -- --repeat 1
//   npx tsx bench/sql-trace-report.ts /tmp/sql
//
// It wraps better-sqlite3's Statement run/get/all and Database exec: each call's thread CPU (user + system,
// process.threadCpuUsage) and wall time are added up per database file and SQL text, and written as JSON to
// $SQL_TRACE_DIR/sql-<pid>-<thread>.json every 0.5 s and at exit. `--require` in the service's flags reaches its
// worker threads too (they inherit execArgv; an `--import` preload, or NODE_OPTIONS, does not run in them).
// better-sqlite3's own BEGIN/COMMIT of `db.transaction(...)` are not statements it prepares, so they are not
// seen; zapflow's held transactions (BEGIN IMMEDIATE / COMMIT through `prepare`) are. The wrapping costs ~2 µs a
// call: compare rows, not totals.
'use strict';
const { mkdirSync, writeFileSync } = require('node:fs');
const { basename, join } = require('node:path');
const { threadId } = require('node:worker_threads');

const dir = process.env.SQL_TRACE_DIR;
if (dir) {
  mkdirSync(dir, { recursive: true });
  const Database = require(require.resolve('better-sqlite3', { paths: [process.cwd()] }));
  const totals = new Map();
  const cpuUs = () => {
    const usage = process.threadCpuUsage();
    return usage.user + usage.system;
  };
  const timed = (key, call) => {
    const cpu0 = cpuUs();
    const wall0 = process.hrtime.bigint();
    try {
      return call();
    } finally {
      const entry = totals.get(key) ?? { calls: 0, cpuUs: 0, wallUs: 0 };
      entry.calls += 1;
      entry.cpuUs += cpuUs() - cpu0;
      entry.wallUs += Number(process.hrtime.bigint() - wall0) / 1000;
      totals.set(key, entry);
    }
  };
  const keyOf = (db, sql) => `${basename(db.name)} | ${sql.replace(/\s+/g, ' ').trim()}`;
  // SQL_TRACE_PAD=1: every statement gets a 20 KB comment. Executing a prepared statement never reads its SQL
  // again, unless SQLite re-prepares it (a bound value it planned with was bound anew): those calls cost ~6 µs
  // more with the comment. Compare the CPU a call of two traces, with and without.
  const pad = process.env.SQL_TRACE_PAD ? `\n/*${'x'.repeat(20_000)}*/` : '';
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function tracedPrepare(sql, ...rest) {
    const statement = prepare.call(this, sql + pad, ...rest);
    const key = keyOf(this, sql);
    for (const method of ['run', 'get', 'all']) {
      const original = statement[method];
      statement[method] = function traced(...args) {
        return timed(key, () => original.apply(this, args));
      };
    }
    return statement;
  };
  const exec = Database.prototype.exec;
  Database.prototype.exec = function tracedExec(sql) {
    return timed(keyOf(this, `EXEC ${sql}`), () => exec.call(this, sql));
  };
  const file = join(dir, `sql-${process.pid}-${threadId}.json`);
  const write = () => writeFileSync(file, JSON.stringify({ pid: process.pid, thread: threadId, statements: Object.fromEntries(totals) }));
  setInterval(write, 500).unref();
  process.on('exit', write);
}
