/** The compiler knobs a transform's run may carry (RunOptions.compiler), and their check. */
import { TransformError } from '../errors.ts';

export interface CompilerOptions {
  maxWorkgroupSize?: number;
  stepsPerRound?: number;
  registers?: boolean;
  mergeWaves?: boolean;
}

/** The compiler knobs of a run, checked so that a bad one names itself before anything compiles. */
export function checkKnobs(kind: string, k: CompilerOptions): CompilerOptions {
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

