/**
 * More synapses of brainpy.state (`_brainpy/exponential.py`, `_brainpy/synapse.py`), with its
 * names, defaults and update order:
 *
 * - `DualExpon` (AlignPost): g_rise and g_decay decay with their own time constants, then take the
 *   one-shot delta inputs (and x); output `a * (g_decay - g_rise)`, `a = (tau_d - tau_r) / (tau_r tau_d) * A`.
 * - `Alpha` (not AlignPost): h decays; g integrates `(-g + h_old) / tau`; then h takes the delta
 *   inputs (and x). It receives input as `call(x)` or through `addDeltaInput`.
 * - `AMPA` / `GABAa` (not AlignPost): called with the pre spikes; a square transmitter pulse of
 *   height T for T_dur after the last spike (t from the environment) drives `dg = alpha [T] (1 - g) - beta g`.
 * - `BioNMDA`: the same pulse drives an intermediate state x, `dx = alpha2 [T] (1 - x) - beta2 x`,
 *   which drives the open fraction, `dg = alpha1 x (1 - g) - beta1 g` (x first, g from the new x).
 *   The magnesium block belongs to the output (`MgBlock`).
 */
import { Tensor } from '@spiketrace/compiler';
import { HiddenState, ShortTermState, type nn } from '@spiketrace/state';
import { isQuantity, math, mM, mS, ms, Quantity, Unit, UnitMismatchError } from '@spiketrace/units';
import { Dynamics } from './dynamics.ts';
import { ParamDescriber } from './describe.ts';
import { dimensionlessInit, initValue, type InitLike } from './init.ts';
import { expEulerStep } from './integrators.ts';
import { checkFraction, checkPositive } from './lif.ts';
import { timeNow } from './time.ts';

// ---- shared checks

/** `${name} (${Kind})`, for messages that name the model. */
export function modelLabel(m: { name: string; constructor: { name: string } }, kind = m.constructor.name): string {
  return m.name.startsWith(kind) ? m.name : `${m.name} (${kind})`;
}

/** The host values of a concrete Quantity (undefined when traced). */
/** The unit of an initializer's values, known before initState. */
export function unitOfInit(init: InitLike): Unit {
  if (typeof init === 'function') return init([1]).unit;
  return isQuantity(init) ? init.unit : Unit.dimensionless;
}

/** Pre spikes (a bool or 0/1 Tensor, or a dimensionless Quantity) whose trailing axes fit the model's varshape. */
export function checkSpikes(who: string, varshape: readonly number[], s: unknown): Tensor {
  let t: Tensor;
  if (isQuantity(s)) {
    if (!s.unit.isDimensionless) throw new UnitMismatchError(`${who}: pre spikes must be dimensionless (0/1 or bool), got a quantity in ${s.unit.name}`, [s.unit.name, '1']);
    t = s.toDecimal();
  } else if (s instanceof Tensor) t = s;
  else throw new TypeError(`${who}: update needs the pre spikes (a bool or 0/1 Tensor), got ${s === undefined ? 'nothing' : typeof s}`);
  const sh = t.shape, n = varshape.length;
  if (sh.length > 0 && (sh.length < n || sh.slice(sh.length - n).join() !== varshape.join())) {
    throw new RangeError(`${who}: pre spikes of shape [${sh.join(', ')}] do not fit the synapse's shape [${varshape.join(', ')}]`);
  }
  return t;
}

function hostIn(q: Quantity, unit: Unit): Float64Array {
  const d = q.mantissa.data, k = q.unit.conversionTo(unit);
  return Float64Array.from(d, (x) => x * k);
}

// ---- DualExpon

export interface DualExponOptions {
  /** Decay time constant (default 10 ms). */
  tau_decay?: Quantity;
  /** Rise time constant (default 1 ms). */
  tau_rise?: Quantity;
  /**
   * Amplitude (dimensionless, or a Quantity whose unit multiplies the output's). Default: the
   * peak normaliser `tau_d / (tau_d - tau_r) * (tau_r / tau_d)^(tau_r / (tau_r - tau_d))`.
   */
  A?: Quantity | number;
  /** Initial value of g_rise and g_decay (default 0 mS); its unit is the unit of g. */
  g_initializer?: InitLike;
  name?: string;
}

/**
 * Dual exponential synapse (AlignPost). Each step: g_rise <- g_rise e^{-dt/tau_r}, g_decay <-
 * g_decay e^{-dt/tau_d} (exponential Euler); both take the summed one-shot delta inputs (and x);
 * returns `a * (g_decay - g_rise)` with `a = (tau_d - tau_r) / (tau_r tau_d) * A`.
 *
 * Note the unit: with a dimensionless A (the default), `a` is a rate, so the output is g's unit
 * per time (mS/ms for the default g), as in brainpy.state. Give A in a time unit for an output in
 * g's unit (`outUnit` says which it is).
 */
export class DualExpon extends Dynamics {
  readonly tau_decay: Quantity;
  readonly tau_rise: Quantity;
  /** The amplitude A (the peak normaliser unless given). */
  readonly A: Quantity;
  /** The output factor a = (tau_d - tau_r) / (tau_r tau_d) * A. */
  readonly a: Quantity;
  readonly g_initializer: InitLike;
  readonly g_rise = new HiddenState<Quantity>(undefined, { name: 'g_rise' });
  readonly g_decay = new HiddenState<Quantity>(undefined, { name: 'g_decay' });
  readonly alignPost = true;

  constructor(inSize: number | readonly number[], opts: DualExponOptions = {}) {
    super(inSize, opts.name);
    const who = modelLabel(this, 'DualExpon');
    this.tau_decay = checkPositive(who, 'tau_decay', opts.tau_decay ?? ms(10), ms(1));
    this.tau_rise = checkPositive(who, 'tau_rise', opts.tau_rise ?? ms(1), ms(1));
    const td = hostIn(this.tau_decay, ms), tr = hostIn(this.tau_rise, ms);
    const n = Math.max(td.length, tr.length);
    if (td.length !== tr.length && td.length !== 1 && tr.length !== 1) {
      throw new RangeError(`${who}: tau_decay (${td.length} values) and tau_rise (${tr.length} values) do not broadcast`);
    }
    const at = <T extends ArrayLike<number>>(x: T, i: number) => x[x.length === 1 ? 0 : i]!;
    for (let i = 0; i < n; i++) {
      if (at(td, i) === at(tr, i)) throw new RangeError(`${who}: tau_rise must differ from tau_decay (both ${at(td, i)} ms); use Alpha for equal time constants`);
    }
    const shape = td.length >= tr.length ? this.tau_decay.shape : this.tau_rise.shape;
    if (opts.A === undefined) {
      const A = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const d = at(td, i), r = at(tr, i);
        A[i] = (d / (d - r)) * Math.pow(r / d, r / (r - d));
      }
      this.A = new Quantity(Tensor.fromArray(A, shape));
    } else if (typeof opts.A === 'number') {
      if (!Number.isFinite(opts.A)) throw new RangeError(`${who}: A must be finite, got ${opts.A}`);
      this.A = math.full([], opts.A);
    } else if (isQuantity(opts.A)) this.A = opts.A;
    else throw new TypeError(`${who}: A must be a number or a Quantity`);
    // a = (tau_d - tau_r) / (tau_r tau_d) * A, in float64 on the host, in 1/ms times A's unit
    const Ah = this.A.mantissa.data;
    const m = Math.max(n, Ah.length);
    if (Ah.length !== 1 && n !== 1 && Ah.length !== n) throw new RangeError(`${who}: A (${Ah.length} values) does not broadcast with the time constants (${n})`);
    const a = new Float32Array(m);
    for (let i = 0; i < m; i++) {
      const d = at(td, i), r = at(tr, i);
      a[i] = ((d - r) / (r * d)) * Ah[Ah.length === 1 ? 0 : i]!;
    }
    this.a = new Quantity(Tensor.fromArray(a, m === n ? shape : this.A.shape), this.A.unit.div(ms));
    this.g_initializer = opts.g_initializer ?? mS(0);
  }

  /** A descriptor for AlignPostProj's merging mode. */
  static desc(inSize: number | readonly number[], opts: DualExponOptions = {}): ParamDescriber<DualExpon> {
    return new ParamDescriber(DualExpon, [inSize, opts]);
  }

  /** The unit of g_rise and g_decay (and of the delta inputs). */
  get gUnit(): Unit {
    return unitOfInit(this.g_initializer);
  }

  /** The unit of the output a * (g_decay - g_rise). */
  get outUnit(): Unit {
    return this.gUnit.mul(this.a.unit);
  }

  override initState(opts: nn.InitOptions = {}): void {
    const shape = this.stateShape(opts.batchSize);
    this.g_rise.reset(initValue(this.g_initializer, shape, `${this.name}.g_rise`));
    this.g_decay.reset(initValue(this.g_initializer, shape, `${this.name}.g_decay`));
  }

  override call(x?: Quantity): Quantity {
    return super.call(...(x === undefined ? [] : [x])) as Quantity;
  }

  override update(x?: Quantity): Quantity {
    const r0 = this.g_rise.value, d0 = this.g_decay.value;
    let gr = expEulerStep(r0, r0.neg().div(this.tau_rise), this.tau_rise.pow(-1).neg());
    let gd = expEulerStep(d0, d0.neg().div(this.tau_decay), this.tau_decay.pow(-1).neg());
    // the one-shot inputs are summed once and go into both components
    if (this.deltaInputs.size > 0) {
      const delta = this.sumDeltaInputs(math.zerosLike(gr));
      gr = gr.add(delta);
      gd = gd.add(delta);
    }
    if (x !== undefined) {
      gr = gr.add(x);
      gd = gd.add(x);
    }
    this.g_rise.value = gr;
    this.g_decay.value = gd;
    return this.a.mul(gd.sub(gr));
  }
}

// ---- Alpha

export interface AlphaOptions {
  /** Time constant (default 8 ms). */
  tau?: Quantity;
  /** Initial value of g and h (default 0 mS); its unit is the unit of g. */
  g_initializer?: InitLike;
  name?: string;
}

/**
 * Alpha synapse. Each step: h <- h e^{-dt/tau}; g <- expEuler((-g + h_old) / tau) (J = -1/tau, using
 * the h stored before this step); then h += the delta inputs (and x). Returns g, so an input at
 * step n first shows in g at step n + 1. Not an AlignPost synapse (as in this brainpy.state
 * version): feed it with `call(x)` or `addDeltaInput(key, x)`.
 */
export class Alpha extends Dynamics {
  readonly tau: Quantity;
  readonly g_initializer: InitLike;
  readonly g = new HiddenState<Quantity>(undefined, { name: 'g' });
  readonly h = new HiddenState<Quantity>(undefined, { name: 'h' });

  constructor(inSize: number | readonly number[], opts: AlphaOptions = {}) {
    super(inSize, opts.name);
    this.tau = checkPositive(modelLabel(this, 'Alpha'), 'tau', opts.tau ?? ms(8), ms(1));
    this.g_initializer = opts.g_initializer ?? mS(0);
  }

  /** A descriptor (for AlignPreProj, or to build later): `Alpha.desc(nPre, { tau: u.ms(5) })`. */
  static desc(inSize: number | readonly number[], opts: AlphaOptions = {}): ParamDescriber<Alpha> {
    return new ParamDescriber(Alpha, [inSize, opts]);
  }

  get gUnit(): Unit {
    return unitOfInit(this.g_initializer);
  }

  override initState(opts: nn.InitOptions = {}): void {
    const shape = this.stateShape(opts.batchSize);
    this.g.reset(initValue(this.g_initializer, shape, `${this.name}.g`));
    this.h.reset(initValue(this.g_initializer, shape, `${this.name}.h`));
  }

  override call(x?: Quantity): Quantity {
    return super.call(...(x === undefined ? [] : [x])) as Quantity;
  }

  override update(x?: Quantity): Quantity {
    const h0 = this.h.value, g0 = this.g.value;
    const J = this.tau.pow(-1).neg();
    let h = expEulerStep(h0, h0.neg().div(this.tau), J);
    const g = expEulerStep(g0, g0.neg().add(h0).div(this.tau), J);
    h = this.sumDeltaInputs(h);
    if (x !== undefined) h = h.add(x);
    this.h.value = h;
    this.g.value = g;
    return g;
  }
}

// ---- AMPA / GABAa

interface PulsedSynapse {
  readonly name: string;
  readonly constructor: { name: string };
  readonly varshape: readonly number[];
  readonly T: Quantity;
  readonly T_dur: Quantity;
  readonly spike_arrival_time: ShortTermState<Quantity>;
}

/**
 * The transmitter concentration of this step: records the arrival time t of the pre spikes, and
 * gives T while t - spike_arrival_time < T_dur, else 0 (t from the environment).
 */
function transmitterPulse(syn: PulsedSynapse, pre_spike: Tensor): Quantity {
  const who = modelLabel(syn);
  const s = checkSpikes(who, syn.varshape, pre_spike);
  const t = timeNow(`${who}.update`, undefined, false);
  const prev = syn.spike_arrival_time.value;
  const arrival = math.where(s, t.to(prev.unit), prev);
  syn.spike_arrival_time.value = arrival;
  return syn.T.mul(t.sub(arrival).lt(syn.T_dur)); // a bool times T: T during the pulse, else 0
}

export interface AMPAOptions {
  /** Binding rate (default 0.98 / (ms mM) for AMPA, 0.53 / (ms mM) for GABAa). */
  alpha?: Quantity;
  /** Unbinding rate (default 0.18 / ms). */
  beta?: Quantity;
  /** Transmitter concentration of the pulse (default 0.5 mM for AMPA, 1 mM for GABAa). */
  T?: Quantity;
  /** Pulse duration (default 0.5 ms for AMPA, 1 ms for GABAa). */
  T_dur?: Quantity;
  /** Initial g (default 0 mS); g is an open fraction in g's unit ("1" is one unit of it). */
  g_initializer?: InitLike;
  name?: string;
}

const perMsMM = (v: number) => math.full([], v).div(ms.mul(mM));
const perMs = (v: number) => math.full([], v).div(ms);

/**
 * AMPA receptor kinetics. Each step, with t from the environment and the pre spikes s:
 * spike_arrival_time <- where(s, t, spike_arrival_time); [T] = T * (t - spike_arrival_time < T_dur);
 * g <- expEuler(alpha [T] (1 - g) - beta g) with J = -(alpha [T] + beta). Returns g.
 */
export class AMPA extends Dynamics {
  readonly alpha: Quantity;
  readonly beta: Quantity;
  readonly T: Quantity;
  readonly T_dur: Quantity;
  readonly g_initializer: InitLike;
  readonly g = new HiddenState<Quantity>(undefined, { name: 'g' });
  readonly spike_arrival_time = new ShortTermState<Quantity>(undefined, { name: 'spike_arrival_time' });

  constructor(inSize: number | readonly number[], opts: AMPAOptions = {}) {
    super(inSize, opts.name);
    const d = (this.constructor as typeof AMPA).defaults;
    const who = modelLabel(this);
    this.alpha = checkPositive(who, 'alpha', opts.alpha ?? perMsMM(d.alpha), perMsMM(1));
    this.beta = checkPositive(who, 'beta', opts.beta ?? perMs(d.beta), perMs(1));
    this.T = checkPositive(who, 'T', opts.T ?? mM(d.T), mM(1), true);
    this.T_dur = checkPositive(who, 'T_dur', opts.T_dur ?? ms(d.T_dur), ms(1), true);
    this.g_initializer = opts.g_initializer ?? mS(0);
  }

  /** brainpy.state's defaults (alpha in 1/(ms mM), beta in 1/ms, T in mM, T_dur in ms). */
  static readonly defaults = { alpha: 0.98, beta: 0.18, T: 0.5, T_dur: 0.5 };

  /** A descriptor of this class (AMPA or GABAa): `GABAa.desc(nPre, { T_dur: u.ms(2) })`. */
  static desc<T extends typeof AMPA>(this: T, inSize: number | readonly number[], opts: AMPAOptions = {}): ParamDescriber<InstanceType<T>> {
    return new ParamDescriber(this as unknown as new (...args: never[]) => InstanceType<T>, [inSize, opts]);
  }

  get gUnit(): Unit {
    return unitOfInit(this.g_initializer);
  }

  override initState(opts: nn.InitOptions = {}): void {
    const shape = this.stateShape(opts.batchSize);
    this.g.reset(initValue(this.g_initializer, shape, `${this.name}.g`));
    this.spike_arrival_time.reset(math.full(shape, ms(-1e7)));
  }

  override call(pre_spike: Tensor): Quantity {
    return super.call(pre_spike) as Quantity;
  }

  override update(pre_spike: Tensor): Quantity {
    const TT = transmitterPulse(this, pre_spike);
    const g0 = this.g.value;
    const one = new Quantity(Tensor.scalar(1), g0.unit);
    const rate = this.alpha.mul(TT); // alpha [T], a rate
    const drift = rate.mul(one.sub(g0)).sub(this.beta.mul(g0));
    const J = rate.add(this.beta).neg();
    const g = expEulerStep(g0, drift, J);
    this.g.value = g;
    return g;
  }
}

/** GABAa receptor kinetics: AMPA with alpha = 0.53 / (ms mM), beta = 0.18 / ms, T = 1 mM, T_dur = 1 ms. */
export class GABAa extends AMPA {
  static override readonly defaults = { alpha: 0.53, beta: 0.18, T: 1, T_dur: 1 };
}

// ---- BioNMDA

export interface BioNMDAOptions {
  /** Opening rate of g per unit of x (default 2 / ms). */
  alpha1?: Quantity;
  /** Closing rate of g (default 0.01 / ms). */
  beta1?: Quantity;
  /** Binding rate of x (default 1 / (ms mM)). */
  alpha2?: Quantity;
  /** Unbinding rate of x (default 0.5 / ms). */
  beta2?: Quantity;
  /** Transmitter concentration of the pulse (default 1 mM). */
  T?: Quantity;
  /** Pulse duration (default 0.5 ms). */
  T_dur?: Quantity;
  /** Initial g (default 0 mS); g is an open fraction in g's unit. */
  g_initializer?: InitLike;
  /** Initial x (dimensionless, default 0). */
  x_initializer?: InitLike;
  name?: string;
}

/**
 * NMDA receptor kinetics (brainpy.state.BioNMDA), second order. Each step, with t from the
 * environment and the pre spikes s: spike_arrival_time <- where(s, t, spike_arrival_time);
 * [T] = T * (t - spike_arrival_time < T_dur); x <- expEuler(alpha2 [T] (1 - x) - beta2 x) with
 * J = -(alpha2 [T] + beta2); then g <- expEuler(alpha1 x (1 - g) - beta1 g) with the new x and
 * J = -(alpha1 x + beta1). Returns g. The slow beta1 gives NMDA's long decay (~100 ms).
 */
export class BioNMDA extends Dynamics {
  readonly alpha1: Quantity;
  readonly beta1: Quantity;
  readonly alpha2: Quantity;
  readonly beta2: Quantity;
  readonly T: Quantity;
  readonly T_dur: Quantity;
  readonly g_initializer: InitLike;
  readonly x_initializer: InitLike;
  readonly g = new HiddenState<Quantity>(undefined, { name: 'g' });
  readonly x = new HiddenState<Quantity>(undefined, { name: 'x' });
  readonly spike_arrival_time = new ShortTermState<Quantity>(undefined, { name: 'spike_arrival_time' });

  constructor(inSize: number | readonly number[], opts: BioNMDAOptions = {}) {
    super(inSize, opts.name);
    const who = modelLabel(this);
    this.alpha1 = checkPositive(who, 'alpha1', opts.alpha1 ?? perMs(2), perMs(1));
    this.beta1 = checkPositive(who, 'beta1', opts.beta1 ?? perMs(0.01), perMs(1));
    this.alpha2 = checkPositive(who, 'alpha2', opts.alpha2 ?? perMsMM(1), perMsMM(1));
    this.beta2 = checkPositive(who, 'beta2', opts.beta2 ?? perMs(0.5), perMs(1));
    this.T = checkPositive(who, 'T', opts.T ?? mM(1), mM(1), true);
    this.T_dur = checkPositive(who, 'T_dur', opts.T_dur ?? ms(0.5), ms(1), true);
    this.g_initializer = opts.g_initializer ?? mS(0);
    this.x_initializer = opts.x_initializer ?? 0;
  }

  /** A descriptor: `BioNMDA.desc(nPost, { beta1: ... })`. */
  static desc(inSize: number | readonly number[], opts: BioNMDAOptions = {}): ParamDescriber<BioNMDA> {
    return new ParamDescriber(BioNMDA, [inSize, opts]);
  }

  get gUnit(): Unit {
    return unitOfInit(this.g_initializer);
  }

  override initState(opts: nn.InitOptions = {}): void {
    const shape = this.stateShape(opts.batchSize);
    this.g.reset(initValue(this.g_initializer, shape, `${this.name}.g`));
    this.x.reset(dimensionlessInit(modelLabel(this), 'x', this.x_initializer, shape));
    this.spike_arrival_time.reset(math.full(shape, ms(-1e7)));
  }

  override call(pre_spike: Tensor): Quantity {
    return super.call(pre_spike) as Quantity;
  }

  override update(pre_spike: Tensor): Quantity {
    const TT = transmitterPulse(this, pre_spike);
    const x0 = this.x.value;
    const xRate = this.alpha2.mul(TT);
    const x = expEulerStep(x0, xRate.mul(x0.neg().add(1)).sub(this.beta2.mul(x0)), xRate.add(this.beta2).neg()).to(Unit.dimensionless);
    const g0 = this.g.value;
    const one = new Quantity(Tensor.scalar(1), g0.unit);
    const gRate = this.alpha1.mul(x);
    const g = expEulerStep(g0, gRate.mul(one.sub(g0)).sub(this.beta1.mul(g0)), gRate.add(this.beta1).neg());
    this.x.value = x;
    this.g.value = g;
    return g;
  }
}
