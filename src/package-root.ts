/**
 * The package root (the folder with zapflow's package.json), whether the code runs from src/ under tsx or
 * from dist/src/ after `npm run build`: product data (config/, data/, demo/) is found from here.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'zapflow') return (cached = dir);
    } catch {
      // not here; go up
    }
    dir = dirname(dir);
  }
  return (cached = process.cwd());
}
