// Copies the non-TypeScript files the compiled code reads at run time (SQL migrations, JSON data) into dist/.
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
const assets = ['src/engine/storage/migrations', 'src/conversations/store/migrations', 'src/taxonomy/taxonomy.json', 'src/taxonomy/self-service.json', 'src/console/assets'];
for (const asset of assets) {
  if (!existsSync(asset)) continue;
  const target = `dist/${asset}`;
  mkdirSync(dirname(target), { recursive: true });
  cpSync(asset, target, { recursive: true });
}
