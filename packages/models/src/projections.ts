/**
 * Projections (brainpy.state `_brainpy/projection.py`). `AlignPostProj` delivers a comm layer's
 * output into a synapse owned by the post population:
 *
 * - merging mode (syn and out are descriptors, `Expon.desc(...)`, `COBA.desc(...)`): the first
 *   projection with a given (syn, out) descriptor pair on a post builds both, registers the output
 *   as a current input of post (a callable of V with its slope dI/dV) and a before-update hook on
 *   post that steps the synapse and binds its conductance to the output. Later projections with
 *   identical descriptors share that synapse and output (their inputs are summed into one g);
 * - instance mode (syn and out are instances): the output is registered on post at once; update
 *   adds the delta input, steps the synapse and binds its g right away.
 *
 * `update(x)`: y = comm(x), queued on the synapse as a one-shot delta input under the projection's
 * name; the synapse advances when post is called.
 */
import { nn } from '@spiketrace/state';
import { isQuantity, type Quantity, type Unit, UnitMismatchError } from '@spiketrace/units';
import { isDescriber, type ParamDescriber } from './describe.ts';
import { Dynamics, type InputFn } from './dynamics.ts';
import { givesCurrent, SynOut } from './synouts.ts';

/** A communication layer: maps pre activity to post-synaptic increments. */
export interface Comm extends nn.Module {
  update(x: never): Quantity;
  /** Post size it delivers to, when known (checked against the post population). */
  readonly nPost?: number;
  /** Unit of its output, when known before tracing (checked against synapse and output). */
  readonly outUnit?: Unit;
}

/** An AlignPost synapse: a Dynamics with delta inputs whose call() returns g. */
export interface AlignPostSynapse extends Dynamics {
  readonly alignPost: true;
  readonly gUnit?: Unit;
  /** The unit of call()'s output, when it is not gUnit (checked against the output). */
  readonly outUnit?: Unit;
  call(...args: unknown[]): Quantity;
}

export interface AlignPostProjOptions<C extends Comm = Comm, S extends AlignPostSynapse = AlignPostSynapse> {
  comm: C;
  syn: ParamDescriber<S> | S;
  out: ParamDescriber<SynOut> | SynOut;
  post: Dynamics;
  /** Label for the post's current input (brainpy's `label`). */
  label?: string;
  name?: string;
}

interface Shared {
  syn: AlignPostSynapse;
  out: SynOut;
}


const registry = new WeakMap<Dynamics, Map<string, Shared>>();

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

function outputInput(out: SynOut): InputFn {
  const fn = ((V: Quantity) => out.current(V)) as InputFn;
  fn.slope = (V: Quantity) => out.slope(V);
  return fn;
}

export class AlignPostProj<C extends Comm = Comm, S extends AlignPostSynapse = AlignPostSynapse> extends nn.Module {
  readonly comm: C;
  readonly syn: S;
  readonly out: SynOut;
  readonly post: Dynamics;
  readonly mode: 'merging' | 'instance';
  /** Whether this projection shares a synapse built by an earlier one (merging mode). */
  readonly merged: boolean;

  constructor(opts: AlignPostProjOptions<C, S>) {
    super(opts?.name);
    const who = `${this.name} (AlignPostProj)`;
    if (typeof opts !== 'object' || opts === null) throw new TypeError(`${who}: options { comm, syn, out, post } are required`);
    const { comm, syn, out, post, label } = opts;
    if (!(post instanceof Dynamics)) throw new TypeError(`${who}: post must be a brainpy Dynamics (a neuron population), got ${describe(post)}`);
    if (!(comm instanceof nn.Module) || typeof comm.update !== 'function') throw new TypeError(`${who}: comm must be a Module with update(x), got ${describe(comm)}`);
    const nPost = sizeOf(post.varshape);
    if (comm.nPost !== undefined && comm.nPost !== nPost) {
      throw new RangeError(`${who}: comm ${comm.name} delivers to ${comm.nPost} post neurons, but post ${post.name} has ${nPost}`);
    }
    const synDesc = isDescriber(syn), outDesc = isDescriber(out);
    if (synDesc !== outDesc) {
      throw new TypeError(`${who}: syn and out must both be descriptors (Expon.desc(...), COBA.desc(...)) or both be instances`);
    }
    this.comm = comm;
    this.post = post;
    if (synDesc && outDesc) {
      this.mode = 'merging';
      const key = `${syn.identity} // ${out.identity}`;
      let reg = registry.get(post);
      if (!reg) registry.set(post, (reg = new Map()));
      let shared = reg.get(key);
      this.merged = shared !== undefined;
      if (!shared) {
        const s: AlignPostSynapse = syn.create(), o = out.create();
        // unnamed descriptors: name the shared synapse and output after the projection that built them
        if (!descName(syn)) s.name = `${this.name}_syn`;
        if (!descName(out)) o.name = `${this.name}_out`;
        this.check(who, s, o, nPost);
        shared = { syn: s, out: o };
        reg.set(key, shared);
        post.alignPostSynapses.set(s.name, s);
        post.addCurrentInput(this.name, outputInput(o), label);
        const sh = shared;
        post.addBeforeUpdate(key, () => sh.out.bindCond(sh.syn.call()));
      } else {
        this.check(who, shared.syn, shared.out, nPost);
      }
      this.syn = shared.syn as S;
      this.out = shared.out;
    } else {
      this.mode = 'instance';
      this.merged = false;
      const s = syn as S, o = out as SynOut;
      if (!(s instanceof Dynamics) || (s as { alignPost?: boolean }).alignPost !== true) {
        throw new TypeError(`${who}: syn must be an AlignPost synapse (for example Expon), got ${describe(s)}`);
      }
      if (!(o instanceof SynOut)) throw new TypeError(`${who}: out must be a synaptic output (COBA, CUBA), got ${describe(o)}`);
      this.check(who, s, o, nPost);
      this.syn = s;
      this.out = o;
      post.addCurrentInput(this.name, outputInput(o), label);
    }
  }

  private check(who: string, syn: AlignPostSynapse, out: SynOut, nPost: number): void {
    const nSyn = sizeOf(syn.varshape);
    if (nSyn !== nPost) throw new RangeError(`${who}: synapse ${syn.name} has ${nSyn} elements, but post ${this.post.name} has ${nPost}`);
    const gUnit = syn.gUnit;
    const w = this.comm.outUnit;
    if (w !== undefined && gUnit !== undefined && !w.sameDim(gUnit)) {
      throw new UnitMismatchError(
        `${who}: comm ${this.comm.name} delivers ${w.name}, but synapse ${syn.constructor.name} holds g in ${gUnit.name}; the weight must have g's dimension`,
        [w.name, gUnit.name],
      );
    }
    // a synapse whose output is not g itself (DualExpon: a * (g_decay - g_rise)) states its unit
    const g = syn.outUnit ?? w ?? gUnit;
    if (g !== undefined && !givesCurrent(g, out.factorUnit)) {
      const what = out.constructor.name === 'CUBA' ? `g * scale` : `g * (E - V)`;
      throw new UnitMismatchError(
        `${who}: output ${out.constructor.name} computes ${what} = ${g.name} * ${out.factorUnit.name}, which is not a current; ` +
          `give a weight that makes it one (a conductance such as u.nS for COBA and for CUBA with scale in volts)`,
        [g.name, out.factorUnit.name],
      );
    }
  }

  /** Deliver pre activity x: comm(x) becomes a one-shot delta input of the synapse. */
  override update(x: unknown): void {
    let y: Quantity;
    try {
      y = this.comm.update(x as never);
    } catch (e) {
      if (e instanceof Error && !e.message.startsWith(this.name)) e.message = `${this.name} (AlignPostProj): ${e.message}`;
      throw e;
    }
    if (!isQuantity(y)) throw new TypeError(`${this.name} (AlignPostProj): comm ${this.comm.name} returned ${describe(y)}, not a Quantity`);
    const gUnit = this.syn.gUnit;
    if (gUnit !== undefined && !y.unit.sameDim(gUnit)) {
      throw new UnitMismatchError(`${this.name} (AlignPostProj): comm output is in ${y.unit.name}, but synapse g is in ${gUnit.name}`, [y.unit.name, gUnit.name]);
    }
    this.syn.addDeltaInput(this.name, y);
    if (this.mode === 'instance') this.out.bindCond(this.syn.call());
  }

  override call(x: unknown): void {
    this.update(x);
  }
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'an object';
  return typeof x;
}

/** The `name` a descriptor's options give, if any. */
function descName(d: ParamDescriber<unknown>): string | undefined {
  for (const a of d.args) {
    if (typeof a === 'object' && a !== null && typeof (a as { name?: unknown }).name === 'string') return (a as { name: string }).name;
  }
  return undefined;
}
