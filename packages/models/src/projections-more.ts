/**
 * The other projections of brainpy.state (`_brainpy/projection.py`), beside `AlignPostProj`:
 *
 * - `DeltaProj({ comm, post })`: `update(x)` queues `comm(x)` as a one-shot delta input of post,
 *   under the projection's name: a jump in V added after the integration of the step in which
 *   post is called (`V <- expEuler(V) + sum of delta inputs`).
 * - `CurrentProj({ comm, out, post })`: the output is registered on post as a current input at
 *   once (a callable of V with its slope); `update(x)` binds `comm(x)` as the output's
 *   "conductance", so post's current this step is `out(comm(x), V)` (CUBA: `comm(x) * scale`,
 *   COBA: `comm(x) * (E - V)`).
 * - `AlignPreProj({ syn, comm, out, post, stp? })` (brainpy's `align_pre_projection`): pre spikes
 *   -> optional short-term plasticity (STP / STD: the efficacy u x s) -> a synapse on the *pre*
 *   side (one element per pre neuron: Expon, DualExpon, Alpha add the efficacy to their state as
 *   `syn(x)`; AMPA / GABAa take the spikes as transmitter release) -> comm -> CurrentProj-like
 *   delivery (the comm output is bound as the output's conductance).
 *
 * All three take the pre activity as `update(x)` (or call a `prefetch` function given at
 * construction when `update()` gets nothing, brainpy's `*prefetch`), and name themselves in
 * every error: mismatched sizes and units are caught at construction when the comm states its
 * `nPost` and `outUnit`, else when the step is traced (before anything runs).
 *
 * AlignPreProj's unit rule: a spike (or an STP efficacy e) enters Expon / Alpha / DualExpon as
 * `e` in the synapse's g unit, so give the pre-side synapse a dimensionless g
 * (`g_initializer: 0`) and let the comm weight carry the conductance, as brainpy's align-pre
 * examples do. The comm must weigh graded values: `EventFixedProb` counts events (any non-zero
 * input is one spike), so it is refused here.
 */
import { ops, Tensor } from '@spiketrace/compiler';
import { nn } from '@spiketrace/state';
import { isQuantity, mV, Quantity, Unit, UnitMismatchError } from '@spiketrace/units';
import { EventFixedProb } from './comm.ts';
import { isDescriber, type ParamDescriber } from './describe.ts';
import { Dynamics, type InputFn } from './dynamics.ts';
import type { Comm } from './projections.ts';
import { AMPA } from './synapses-kinetic.ts';
import { givesCurrent, SynOut } from './synouts.ts';

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

function kindOf(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'an object';
  return typeof x;
}

function outputInput(out: SynOut): InputFn {
  const fn = ((V: Quantity) => out.current(V)) as InputFn;
  fn.slope = (V: Quantity) => out.slope(V);
  return fn;
}

/** The unit of post's V, when the population states it (V_rest / V_th / V_reset, or an initialised V). */
function voltageUnit(post: Dynamics): Unit | undefined {
  const p = post as unknown as Record<string, unknown>;
  for (const k of ['V_rest', 'V_th', 'V_reset']) {
    const v = p[k];
    if (isQuantity(v) && v.unit.sameDim(mV(1).unit)) return v.unit;
  }
  return undefined;
}

interface BaseOptions<C extends Comm> {
  comm: C;
  post: Dynamics;
  /** Label of the post's input (brainpy's `label`). */
  label?: string;
  /** Called by `update()` when it gets no argument (brainpy's `*prefetch`): returns the pre activity. */
  prefetch?: () => unknown;
  name?: string;
}

/** What the three projections share: checks that name the projection, and the comm call. */
abstract class ProjBase<C extends Comm> extends nn.Module {
  readonly comm: C;
  readonly post: Dynamics;
  readonly label: string | undefined;
  readonly prefetch: (() => unknown) | undefined;
  protected readonly kind: string;

  constructor(kind: string, opts: BaseOptions<C>, required: string) {
    super(opts?.name);
    this.kind = kind;
    if (typeof opts !== 'object' || opts === null) throw new TypeError(`${this.who}: options { ${required} } are required`);
    const { comm, post } = opts;
    if (!(post instanceof Dynamics)) throw new TypeError(`${this.who}: post must be a brainpy Dynamics (a neuron population), got ${kindOf(post)}`);
    if (!(comm instanceof nn.Module) || typeof comm.update !== 'function') throw new TypeError(`${this.who}: comm must be a Module with update(x), got ${kindOf(comm)}`);
    if (opts.prefetch !== undefined && typeof opts.prefetch !== 'function') throw new TypeError(`${this.who}: prefetch must be a function returning the pre activity`);
    const nPost = sizeOf(post.varshape);
    if (comm.nPost !== undefined && comm.nPost !== nPost) {
      throw new RangeError(`${this.who}: comm ${comm.name} delivers to ${comm.nPost} post neurons, but post ${post.name} has ${nPost}`);
    }
    this.comm = comm;
    this.post = post;
    this.label = opts.label;
    this.prefetch = opts.prefetch;
  }

  /** `name (Kind)`, the prefix of every message. */
  get who(): string {
    return `${this.name} (${this.kind})`;
  }

  protected get nPost(): number {
    return sizeOf(this.post.varshape);
  }

  /** Prefix an error raised by a part with the projection's name. */
  protected named<R>(fn: () => R): R {
    try {
      return fn();
    } catch (e) {
      if (e instanceof Error && !e.message.startsWith(this.name)) e.message = `${this.who}: ${e.message}`;
      throw e;
    }
  }

  /** The pre activity: x, or the prefetch's value when x is not given. */
  protected input(args: unknown[]): unknown {
    if (args.length > 0 && args[0] !== undefined) return args[0];
    if (this.prefetch) return this.named(() => this.prefetch!());
    throw new TypeError(`${this.who}: update needs the pre activity x (or a prefetch given at construction)`);
  }

  /** y = comm(x), a Quantity whose last axis is post's size. */
  protected applyComm(x: unknown): Quantity {
    const y = this.named(() => this.comm.update(x as never));
    if (!isQuantity(y)) throw new TypeError(`${this.who}: comm ${this.comm.name} returned ${kindOf(y)}, not a Quantity`);
    const n = y.shape[y.shape.length - 1];
    if (y.shape.length > 0 && n !== this.nPost) {
      throw new RangeError(`${this.who}: comm ${this.comm.name} returned ${n} values on its last axis, but post ${this.post.name} has ${this.nPost}`);
    }
    return y;
  }

  /** The output must turn g (in `g`) into a current. */
  protected checkGivesCurrent(g: Unit, out: SynOut, what: string): void {
    if (givesCurrent(g, out.factorUnit)) return;
    const f = out.constructor.name === 'CUBA' ? 'g * scale' : 'g * (E - V)';
    throw new UnitMismatchError(
      `${this.who}: ${what} is in ${g.name}, and output ${out.constructor.name} computes ${f} = ${g.name} * ${out.factorUnit.name}, which is not a current; ` +
        `give a weight that makes it one (a conductance such as u.nS for COBA and for CUBA with scale in volts)`,
      [g.name, out.factorUnit.name],
    );
  }

  override call(...args: unknown[]): void {
    this.update(...args);
  }
}

// ---- DeltaProj

export interface DeltaProjOptions<C extends Comm = Comm> extends BaseOptions<C> {}

/** post.addDeltaInput(name, comm(x)): a jump in V after the integration of post's next step. */
export class DeltaProj<C extends Comm = Comm> extends ProjBase<C> {
  constructor(opts: DeltaProjOptions<C>) {
    super('DeltaProj', opts, 'comm, post');
    const vu = voltageUnit(this.post), w = this.comm.outUnit;
    if (vu !== undefined && w !== undefined && !w.sameDim(vu)) {
      throw new UnitMismatchError(
        `${this.who}: comm ${this.comm.name} delivers ${w.name}, but a delta input jumps post ${this.post.name}'s V (in ${vu.name}); the weight must be a voltage (for example u.mV(0.5))`,
        [w.name, vu.name],
      );
    }
  }

  override update(...args: unknown[]): void {
    const y = this.applyComm(this.input(args));
    const vu = voltageUnit(this.post);
    if (vu !== undefined && !y.unit.sameDim(vu)) {
      throw new UnitMismatchError(`${this.who}: comm output is in ${y.unit.name}, but post ${this.post.name}'s V is in ${vu.name}`, [y.unit.name, vu.name]);
    }
    this.named(() => this.post.addDeltaInput(this.name, y, this.label));
  }
}

// ---- CurrentProj

export interface CurrentProjOptions<C extends Comm = Comm> extends BaseOptions<C> {
  /** The output (CUBA, COBA, MgBlock), registered on post at once. */
  out: SynOut;
}

/** Registers `out` on post; `update(x)` binds comm(x) as the output's conductance. */
export class CurrentProj<C extends Comm = Comm> extends ProjBase<C> {
  readonly out: SynOut;

  constructor(opts: CurrentProjOptions<C>) {
    super('CurrentProj', opts, 'comm, out, post');
    this.out = checkOut(this.who, opts.out);
    const w = this.comm.outUnit;
    if (w !== undefined) this.checkGivesCurrent(w, this.out, `comm ${this.comm.name}'s output`);
    this.named(() => this.post.addCurrentInput(this.name, outputInput(this.out), this.label));
  }

  override update(...args: unknown[]): void {
    const y = this.applyComm(this.input(args));
    this.checkGivesCurrent(y.unit, this.out, 'the comm output');
    this.out.bindCond(y);
  }
}

function checkOut(who: string, out: unknown): SynOut {
  if (isDescriber(out)) throw new TypeError(`${who}: out must be an output instance (new COBA(...)), not a descriptor`);
  if (!(out instanceof SynOut)) throw new TypeError(`${who}: out must be a synaptic output (COBA, CUBA, MgBlock), got ${kindOf(out)}`);
  return out;
}

// ---- AlignPreProj

/** A pre-side synapse: Expon, DualExpon, Alpha (fed `syn(x)`) or AMPA / GABAa (fed the spikes). */
export type PreSynapse = Dynamics & { readonly gUnit?: Unit; readonly outUnit?: Unit };

export interface AlignPreProjOptions<C extends Comm = Comm, S extends PreSynapse = PreSynapse> extends BaseOptions<C> {
  /** The pre-side synapse, one element per pre neuron: an instance or a descriptor (`Expon.desc(nPre, ...)`). */
  syn: S | ParamDescriber<S>;
  out: SynOut;
  /** Short-term plasticity (STP / STD) applied to the spikes first; its efficacy feeds the synapse. */
  stp?: Dynamics;
}

export class AlignPreProj<C extends Comm = Comm, S extends PreSynapse = PreSynapse> extends ProjBase<C> {
  readonly syn: S;
  readonly out: SynOut;
  readonly stp: Dynamics | undefined;
  /** Pre population size (the synapse's). */
  readonly nPre: number;

  constructor(opts: AlignPreProjOptions<C, S>) {
    super('AlignPreProj', opts, 'syn, comm, out, post');
    this.out = checkOut(this.who, opts.out);
    const syn = isDescriber(opts.syn) ? this.named(() => (opts.syn as ParamDescriber<S>).create()) : opts.syn;
    if (!(syn instanceof Dynamics)) throw new TypeError(`${this.who}: syn must be a synapse (Expon, Alpha, DualExpon, AMPA, GABAa) or its descriptor, got ${kindOf(syn)}`);
    this.syn = syn;
    this.nPre = sizeOf(syn.varshape);
    if (this.comm instanceof EventFixedProb) {
      throw new TypeError(
        `${this.who}: comm ${this.comm.name} is an EventFixedProb, which counts events and cannot carry the pre synapse's graded output; use a dense comm, or AlignPostProj for event-driven delivery`,
      );
    }
    const nPreComm = (this.comm as { nPre?: unknown }).nPre;
    if (typeof nPreComm === 'number' && nPreComm !== this.nPre) {
      throw new RangeError(`${this.who}: synapse ${syn.name} has ${this.nPre} elements (one per pre neuron), but comm ${this.comm.name} takes ${nPreComm} pre neurons`);
    }
    if (opts.stp !== undefined) {
      if (!(opts.stp instanceof Dynamics)) throw new TypeError(`${this.who}: stp must be a short-term plasticity model (STP, STD), got ${kindOf(opts.stp)}`);
      const n = sizeOf(opts.stp.varshape);
      if (n !== this.nPre) throw new RangeError(`${this.who}: stp ${opts.stp.name} has ${n} elements, but synapse ${syn.name} has ${this.nPre}`);
    }
    this.stp = opts.stp;
    // the comm's output unit is known before tracing when the synapse's output is dimensionless
    const g = syn.outUnit ?? syn.gUnit;
    const w = this.comm.outUnit;
    if (g !== undefined && g.isDimensionless && w !== undefined) this.checkGivesCurrent(w, this.out, `comm ${this.comm.name}'s output`);
    this.named(() => this.post.addCurrentInput(this.name, outputInput(this.out), this.label));
  }

  /** Whether the synapse takes spikes (transmitter release) rather than an increment of its state. */
  private get takesSpikes(): boolean {
    return this.syn instanceof AMPA;
  }

  override update(...args: unknown[]): void {
    const x = this.input(args);
    let s: Tensor;
    if (isQuantity(x)) {
      if (!x.isDimensionless) throw new UnitMismatchError(`${this.who}: pre spikes must be dimensionless (0/1 or bool), got a quantity in ${x.unit.name}`, [x.unit.name, '1']);
      s = x.toDecimal();
    } else if (x instanceof Tensor) s = x;
    else throw new TypeError(`${this.who}: update needs the pre spikes (a bool or 0/1 Tensor), got ${kindOf(x)}`);
    const m = s.shape[s.shape.length - 1];
    if (m !== this.nPre) {
      throw new RangeError(`${this.who}: pre spikes have ${m ?? 0} neurons on their last axis, but synapse ${this.syn.name} has ${this.nPre}`);
    }
    // spikes -> efficacy (STP) -> pre synapse
    let e: Tensor = this.stp ? (this.named(() => this.stp!.call(s)) as Tensor) : s;
    let g: Quantity;
    if (this.takesSpikes) g = this.named(() => this.syn.call(e)) as Quantity;
    else {
      if (e.dtype === 'bool') e = ops.cast(e, 'f32');
      const unit = this.syn.gUnit ?? Unit.dimensionless;
      g = this.named(() => this.syn.call(new Quantity(e, unit))) as Quantity;
    }
    if (!isQuantity(g)) throw new TypeError(`${this.who}: synapse ${this.syn.name} returned ${kindOf(g)}, not a Quantity`);
    const y = this.applyComm(g);
    this.checkGivesCurrent(y.unit, this.out, 'the comm output');
    this.out.bindCond(y);
  }
}
