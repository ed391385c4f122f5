/** Durations on the command line (`0.1ms`, `100us`, `0.0001s`) and time units of bundle inputs. */
import * as u from '@spiketrace/units';
import { CliError } from './errors.ts';

/** Seconds per unit, for the time units the CLI understands. */
export const TIME_UNITS: Record<string, number> = { s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9, min: 60, h: 3600 };
const ALIASES: Record<string, string> = { 'µs': 'us', 'μs': 'us', sec: 's', second: 's', seconds: 's', msec: 'ms', usec: 'us', nsec: 'ns' };

const NUMBER_UNIT = /^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([^\s\d.+-][^\s]*)?\s*$/;

function timeUnitName(name: string): string | undefined {
  const n = ALIASES[name] ?? name;
  return n in TIME_UNITS ? n : undefined;
}

/** "0.1ms" -> { value: 0.1, unit: "ms" }; throws a one-line error naming what is wrong. */
export function parseDurationParts(text: string, what = '--dt'): { value: number; unit: string } {
  const m = NUMBER_UNIT.exec(text);
  if (!m) throw new CliError(`${what}: cannot read "${text}" as a duration (examples: 0.1ms, 100us, 0.0001s)`);
  const value = Number(m[1]);
  const unitName = m[2];
  if (!unitName) throw new CliError(`${what}: "${text}" has no unit; give a time such as ${m[1]}ms`);
  const unit = timeUnitName(unitName);
  if (!unit) {
    const known = (u as unknown as Record<string, unknown>)[unitName];
    if (known instanceof u.Unit) {
      throw new CliError(`${what}: "${text}" is in ${unitName}, which is not a unit of time (use s, ms, us or ns)`);
    }
    throw new CliError(`${what}: unknown unit "${unitName}" in "${text}" (use s, ms, us or ns)`);
  }
  if (!(value > 0) || !Number.isFinite(value)) throw new CliError(`${what}: the time step must be positive, got "${text}"`);
  return { value, unit };
}

/** A duration as a Quantity (u.ms(0.1) for "0.1ms"). */
export function parseDuration(text: string, what = '--dt'): u.Quantity {
  const { value, unit } = parseDurationParts(text, what);
  const fn = (u as unknown as Record<string, u.UnitFn>)[unit];
  if (!fn) throw new CliError(`${what}: the unit ${unit} is not available`);
  return fn(value);
}

/** Seconds in a bundle's dt text ("0.1 ms"). */
export function secondsOf(text: string): number {
  const { value, unit } = parseDurationParts(text, 'the bundle\'s dt');
  return value * TIME_UNITS[unit]!;
}

/** Seconds per unit when `unit` (a bundle unit name) is a time unit; otherwise undefined. */
export function timeUnitSeconds(unit: string): number | undefined {
  const n = timeUnitName(unit);
  return n === undefined ? undefined : TIME_UNITS[n];
}
