/**
 * Load a model file: a .ts (or .js) module whose default export is a ModelSpec or a function
 * (sync or async) returning one. tsx (registered by bin/spiketrace.mjs) compiles it on import.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ModelSpec } from '../compile.ts';
import { CliError } from './errors.ts';

/** An error's message on one line, at most 300 characters. */
function brief(e: unknown): string {
  const text = (e instanceof Error ? e.message : String(e)).split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

export function resolveFile(file: string, what: string): string {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new CliError(`${what} not found: ${file}`);
  if (!statSync(abs).isFile()) throw new CliError(`${what} is not a file: ${file}`);
  return abs;
}

/** True for a bundle file (a .json), false for a model module. */
export function isBundlePath(file: string): boolean {
  return file.toLowerCase().endsWith('.json');
}

export async function loadModel(file: string): Promise<ModelSpec> {
  const abs = resolveFile(file, 'model file');
  if (!/\.(m|c)?(t|j)sx?$/.test(abs)) throw new CliError(`model file must be a .ts or .js module, got ${file}`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (e) {
    throw new CliError(`cannot load ${file}: ${brief(e)}`);
  }
  let spec = mod.default;
  if (spec === undefined) {
    const named = Object.keys(mod).filter((k) => k !== 'default');
    throw new CliError(
      `${file} has no default export; export default a ModelSpec or a function returning one` +
        (named.length ? ` (it exports ${named.join(', ')})` : ''),
    );
  }
  if (typeof spec === 'function') {
    try {
      spec = await (spec as () => unknown)();
    } catch (e) {
      throw new CliError(`${file}: the default export threw: ${brief(e)}`);
    }
  }
  const s = spec as Partial<ModelSpec> | null;
  const missing = !s || typeof s !== 'object' ? ['name', 'model', 'step'] : (['name', 'model', 'step'] as const).filter((k) => !s[k]);
  if (missing.length) {
    throw new CliError(`${file}: the default export is not a ModelSpec (missing ${missing.join(', ')}); export { name, model, step, inputs, dt, steps }`);
  }
  if (typeof s!.step !== 'function') throw new CliError(`${file}: the ModelSpec's step must be a function`);
  return s as ModelSpec;
}
