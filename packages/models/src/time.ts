/**
 * The current time as a model reads it: `t` from the environment (environ.context({ t }, ...)),
 * or, for inputs whose update takes one, the `t` given. One check for every model that reads it.
 */
import { environ } from '@spiketrace/state';
import { isQuantity, ms, type Quantity, UnitMismatchError } from '@spiketrace/units';

/**
 * `t` if given, else t from the environment; a time Quantity either way, or an error naming `who`.
 * `takesT` says whether `who` also accepts t as an argument (inputs' update(t)), for the hint.
 */
export function timeNow(who: string, t?: Quantity, takesT = true): Quantity {
  const fromEnv = t === undefined;
  // null as the fallback: an undefined one would read as no fallback (a default parameter)
  const now: unknown = fromEnv ? environ.get<unknown>('t', null) : t;
  if (now === null || now === undefined) {
    throw new TypeError(`${who}: needs the time t, from the environment (environ.context({ t: u.ms(...) }, ...))${takesT ? ' or as update(t)' : ''}`);
  }
  const what = fromEnv ? 't in the environment' : 't';
  if (!isQuantity(now)) throw new TypeError(`${who}: ${what} must be a time Quantity, got ${typeof now}`);
  if (!now.unit.sameDim(ms(1).unit)) throw new UnitMismatchError(`${who}: ${what} is in ${now.unit.name}, expected a time`, [now.unit.name, 'ms']);
  return now;
}
