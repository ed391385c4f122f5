/** The dependency direction DESIGN.md fixes: runtime imports nothing of ours; compiler never imports the packages above it. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => (m[1] ?? m[2]) as string);
}

const rules: [string, RegExp][] = [
  ['runtime/src', /@spiketrace\/(compiler|units|state|models)|^spiketrace$|\.\.\/\.\.\/(compiler|packages)/],
  ['compiler/src', /@spiketrace\/(units|state|models)|^spiketrace$|\.\.\/\.\.\/packages/],
  ['packages/units/src', /@spiketrace\/(state|models)|^spiketrace$/],
  ['packages/state/src', /@spiketrace\/models|^spiketrace$/],
];

describe('layering', () => {
  it.each(rules)('%s imports only what lies below it', (dir, banned) => {
    const bad = sources(path.join(root, dir)).flatMap((f) => imports(f).filter((i) => banned.test(i)).map((i) => `${path.relative(root, f)} imports ${i}`));
    expect(bad).toEqual([]);
  });
});
