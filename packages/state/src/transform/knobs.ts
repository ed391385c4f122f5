/** The compiler knobs a transform's run may carry (RunOptions.compiler), and their check. */
import { TransformError } from '../errors.ts';

export interface CompilerOptions {
  maxWorkgroupSize?: number;
  stepsPerRound?: number;
  registers?: boolean;
  mergeWaves?: boolean;
}

const KNOBS: readonly string[] = ['maxWorkgroupSize', 'stepsPerRound', 'registers', 'mergeWaves'];

/** The compiler knobs of a run, checked so that a bad one names itself before anything compiles. */
export function checkKnobs(kind: string, k: CompilerOptions): CompilerOptions {
  if (typeof k !== 'object' || k === null || Array.isArray(k)) {
    throw new TransformError(`${kind}: compiler must be an object of options (known: ${KNOBS.join(', ')}), got ${JSON.stringify(k)}`);
  }
  for (const key of Object.keys(k)) {
    if (!KNOBS.includes(key)) throw new TransformError(`${kind}: unknown compiler option '${key}' (known: ${KNOBS.join(', ')})`);
  }
  const whole = (name: 'maxWorkgroupSize' | 'stepsPerRound', min: number) => {
    const v = k[name];
    if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= min)) {
      throw new TransformError(`${kind}: compiler.${name} must be an integer >= ${min}, got ${String(v)}`);
    }
  };
  whole('maxWorkgroupSize', 32);
  whole('stepsPerRound', 1);
  for (const name of ['registers', 'mergeWaves'] as const) {
    if (k[name] !== undefined && typeof k[name] !== 'boolean') throw new TransformError(`${kind}: compiler.${name} must be true or false, got ${String(k[name])}`);
  }
  return k;
}

/** The run's `profile` flag, checked like the knobs: a truthy string would otherwise switch profiling on unnoticed. */
export function checkProfile(kind: string, profile: unknown): boolean {
  if (profile !== undefined && typeof profile !== 'boolean') throw new TransformError(`${kind}: profile must be true or false, got ${String(profile)}`);
  return profile === true;
}

