#!/usr/bin/env node
// The `zapflow` command. An installed package runs the compiled CLI in dist/; a clone right after `npm ci`
// (no build yet) runs the TypeScript sources through tsx, a dev dependency, so `npx zapflow` works at once.
import { existsSync } from 'node:fs';

const built = new URL('../dist/src/cli/main.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    console.error('zapflow: dist/ is not built and tsx is not installed. Run `npm ci` (development) or `npm run build`.');
    process.exit(1);
  }
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
