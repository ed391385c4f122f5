/**
 * The simulation environment: per-key stacks of values (dt, t, i, and any user key).
 * `context(values, fn)` pushes, runs fn, and pops on exit and on throw. Transforms trace
 * synchronously inside their call, so `await environ.context({ dt }, () => forLoop(...))` traces
 * with that dt even though the loop's promise resolves after the context has closed.
 */
import { Tensor } from '@spiketrace/compiler';
import { isQuantity, type Quantity } from '@spiketrace/units';
import { EnvironmentError } from './errors.ts';

export type EnvValue = unknown;

const stacks = new Map<string, EnvValue[]>();
const globals = new Map<string, EnvValue>();
const GLOBAL_ONLY = new Set(['platform', 'hostDeviceCount']);

export function context<R>(values: Record<string, EnvValue>, fn: () => R): R {
  const keys = Object.keys(values);
  for (const k of keys) {
    if (GLOBAL_ONLY.has(k)) throw new EnvironmentError(`"${k}" can only be set globally with environ.set()`);
  }
  for (const k of keys) {
    let st = stacks.get(k);
    if (!st) stacks.set(k, (st = []));
    st.push(values[k]);
  }
  try {
    return fn();
  } finally {
    for (const k of keys) stacks.get(k)?.pop();
  }
}

const MISSING = Symbol('missing');

/** Keys read while a transform traces: its cache keys on exactly these. */
let readLog: Set<string> | undefined;

/** Run fn recording which environment keys it reads. */
export function recordingReads<R>(fn: () => R): { result: R; keys: string[] } {
  const prev = readLog;
  const log = new Set<string>();
  readLog = log;
  try {
    const result = fn();
    return { result, keys: [...log].sort() };
  } finally {
    readLog = prev;
    if (prev) for (const k of log) prev.add(k);
  }
}

/** The innermost value of `key`, else its global value, else `fallback`; throws when none exists. */
export function get<T = EnvValue>(key: string, fallback: T | typeof MISSING = MISSING): T {
  readLog?.add(key);
  const st = stacks.get(key);
  if (st && st.length) return st[st.length - 1] as T;
  if (globals.has(key)) return globals.get(key) as T;
  if (fallback !== MISSING) return fallback;
  throw new EnvironmentError(
    `key "${key}" not found in the environment; set it with brainstate.environ.context({ ${key}: value }, fn) ` +
      `or globally with brainstate.environ.set({ ${key}: value })`,
  );
}

/** The time step, `get('dt')`. */
export function getDt(): Quantity {
  const dt = get<unknown>('dt');
  if (!isQuantity(dt)) throw new EnvironmentError(`dt in the environment must be a Quantity with a time unit, e.g. u.ms(0.1)`);
  return dt;
}

/** Set global defaults (used when no context provides the key). */
export function set(values: Record<string, EnvValue>): void {
  for (const [k, v] of Object.entries(values)) globals.set(k, v);
}

/** Every key currently visible, innermost values. */
export function all(): Record<string, EnvValue> {
  const out: Record<string, EnvValue> = Object.fromEntries(globals);
  for (const [k, st] of stacks) if (st.length) out[k] = st[st.length - 1];
  return out;
}

/**
 * A string naming the environment's static values (for trace caches): concrete arrays by
 * content and unit; traced values only by kind (their contents vary per step).
 */
export function signature(keys?: readonly string[]): string {
  const env = all();
  const parts: string[] = [];
  for (const k of keys ?? Object.keys(env).sort()) parts.push(`${k}=${k in env ? describeStatic(env[k]) : '<missing>'}`);
  return parts.join(';');
}

function describeStatic(v: EnvValue): string {
  if (isQuantity(v)) return v.isTraced ? `traced ${v.dtype}[${v.shape}] ${v.unit.name}` : `${Array.from(v.mantissa.data).join(',')} ${v.unit.name}`;
  if (v instanceof Tensor) return v.isTraced ? `traced ${v.dtype}[${v.shape}]` : Array.from(v.data).join(',');
  if (typeof v === 'object' && v !== null) return JSON.stringify(v) ?? String(v);
  return String(v);
}
