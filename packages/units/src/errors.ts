/** Errors of the units layer. Every message names the operation and the units involved. */
import { SpiketraceError } from '@spiketrace/compiler';

/** Two operands (or an operand and a function) disagree on physical units. */
export class UnitMismatchError extends SpiketraceError {
  override name = 'UnitMismatchError';
  /** The display names of the units involved, in message order. */
  readonly units: readonly string[];

  constructor(message: string, units: readonly string[] = []) {
    super(message);
    this.units = units;
  }
}

/** "cannot add mV and ms: units do not match (mV != ms)" */
export function mismatch(verb: string, a: { toString(): string }, b: { toString(): string }, joiner = 'and', hint = ''): UnitMismatchError {
  const x = String(a);
  const y = String(b);
  return new UnitMismatchError(`cannot ${verb} ${x} ${joiner} ${y}: units do not match (${x} != ${y})${hint}`, [x, y]);
}

/** "exp requires a dimensionless input, got a Quantity in mV" */
export function needsDimensionless(fn: string, unit: { toString(): string }): UnitMismatchError {
  const x = String(unit);
  return new UnitMismatchError(
    `${fn} requires a dimensionless input, got a Quantity in ${x}; divide by a unit first (e.g. x.div(u.${x}))`,
    [x],
  );
}
