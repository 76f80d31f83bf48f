#!/usr/bin/env node
// The `zapflow` command. In a clone (the TypeScript sources and tsx, a dev dependency, are present) it runs the
// sources, so `npx zapflow` works right after `npm ci` and never runs a stale dist/. An installed package ships
// no sources and runs the compiled CLI in dist/.
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
const built = new URL('../dist/src/cli/main.js', import.meta.url);

async function tsxRegister() {
  try {
    return (await import('tsx/esm/api')).register;
  } catch {
    return undefined;
  }
}

const register = existsSync(sources) ? await tsxRegister() : undefined;
if (register) {
  register();
  await import(sources.href);
} else if (existsSync(built)) {
  await import(built.href);
} else {
  console.error('zapflow: neither the compiled CLI (dist/) nor the sources with tsx were found. Run `npm ci`, or `npm run build`.');
  process.exit(1);
}
