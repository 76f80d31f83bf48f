/**
 * The engine is a library: nothing under src/engine may import from the application around it. The ESLint
 * rule catches the usual spellings; this test resolves every relative import, so no path trick slips by.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const engineDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'engine');
const ALLOWED_PACKAGES = new Set(['zod', 'pg', 'better-sqlite3']);

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier in static imports/exports, dynamic import() and require(). */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1]!);
  return found;
}

describe('src/engine import boundary', () => {
  const files = tsFiles(engineDir);

  it('finds the engine sources', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it('has no import that leaves src/engine, and no package but node builtins, zod, pg and better-sqlite3', () => {
    const violations: string[] = [];
    for (const file of files) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        const where = relative(engineDir, file);
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          if (target !== engineDir && !target.startsWith(engineDir + sep)) violations.push(`${where}: ${spec} resolves outside src/engine`);
        } else if (spec.startsWith('node:')) {
          continue;
        } else {
          const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
          if (!ALLOWED_PACKAGES.has(pkg) && !builtinModules.includes(pkg)) violations.push(`${where}: imports package "${spec}"`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it('the check itself catches an escaping import', () => {
    expect(specifiers(`import { x } from '../../agents/agent.js';\nexport * from "../workflows/x.js";\nconst m = await import('express');`)).toEqual(['../../agents/agent.js', '../workflows/x.js', 'express']);
  });
});
