/**
 * braintools.optim: gradient-descent optimizers over ParamStates, stepping on the GPU.
 *
 *   const opt = new braintools.optim.Adam({ lr: 1e-3 });
 *   opt.registerTrainableWeights(net.states(ParamState));
 *   const grads = await transform.grad(loss, { gradStates: net.states(ParamState) })();
 *   await opt.update(grads);
 *
 * `update` is one jitted step: the parameters, the optimizer's own States (moments, step count,
 * learning rate) and the gradients go through one compiled graph on the GPU, the parameters
 * stay resident there, and their host values are refreshed once per call. Optimizers act on
 * mantissas (as optax on arrays): a gradient in the parameter's unit (grad's default) updates it
 * in that unit. The learning rate is a State, so changing it (`opt.lr = 1e-4`) does not retrace.
 */
import { ops, Tensor } from '@spiketrace/compiler';
import { LongTermState, State, transform, type GradStates, type Lowering } from '@spiketrace/state';
import { isQuantity, Quantity } from '@spiketrace/units';

type ArrayValue = Quantity | Tensor;

function listOf(g: GradStates | unknown): { keys: string[] | undefined; list: unknown[] } {
  if (g instanceof State) return { keys: undefined, list: [g] };
  if (Array.isArray(g)) return { keys: undefined, list: [...g] };
  if (g instanceof Map) return { keys: [...g.keys()].map(String), list: [...g.values()] };
  if (typeof g === 'object' && g !== null) {
    const keys = Object.keys(g);
    return { keys, list: keys.map((k) => (g as Record<string, unknown>)[k]) };
  }
  throw new TypeError(`optimizer: expected a State, an array, an object or a Map, got ${typeof g}`);
}

const mantissa = (v: ArrayValue): Tensor => (isQuantity(v) ? v.mantissa : v);
const rewrap = (like: ArrayValue, m: Tensor): ArrayValue => (isQuantity(like) ? new Quantity(m, like.unit) : m);

export interface OptimizerOptions {
  lr: number;
  /** 'auto' (default) or a forced lowering, 'interpret' for the CPU reference. */
  lowering?: Lowering;
}

export abstract class Optimizer {
  readonly #lr: LongTermState<Tensor>;
  readonly stepCount = new LongTermState<Tensor>(Tensor.scalar(0), { name: 'optimizer.step' });
  #params: State[] = [];
  #keys: string[] | undefined;
  #update: ((...grads: ArrayValue[]) => Promise<void>) | undefined;

  constructor(readonly opts: OptimizerOptions) {
    if (!(opts.lr > 0) || !Number.isFinite(opts.lr)) throw new RangeError(`${this.constructor.name}: lr must be a positive number, got ${opts.lr}`);
    this.#lr = new LongTermState(Tensor.scalar(opts.lr), { name: 'optimizer.lr' });
  }

  get lr(): number {
    return (this.#lr.value as Tensor).item();
  }

  set lr(v: number) {
    if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`${this.constructor.name}: lr must be a positive number, got ${v}`);
    this.#lr.value = Tensor.scalar(v);
  }

  /** The parameters this optimizer updates (braintools: register_trainable_weights). */
  registerTrainableWeights(states: GradStates): this {
    const { keys, list } = listOf(states);
    list.forEach((s, i) => {
      if (!(s instanceof State)) throw new TypeError(`${this.constructor.name}: weight ${keys?.[i] ?? i} is not a State`);
      if (!s.isInitialized) throw new Error(`${this.constructor.name}: State "${s.name}" is not initialized`);
      if (mantissa(s.value).dtype !== 'f32') throw new TypeError(`${this.constructor.name}: State "${s.name}" holds ${mantissa(s.value).dtype} values; only f32 weights are trained`);
    });
    this.#params = list as State[];
    this.#keys = keys;
    this.initSlots(this.#params.map((p) => mantissa(p.value).shape));
    const fn = (...grads: ArrayValue[]): void => {
      const t = ops.add(this.stepCount.value as Tensor, 1);
      this.stepCount.value = t;
      const lr = this.#lr.value as Tensor;
      this.#params.forEach((p, i) => {
        const pv = p.value;
        const g = this.#gradMantissa(p, grads[i] as ArrayValue);
        p.value = rewrap(pv, this.step(i, mantissa(pv), g, lr, t));
      });
    };
    const jitted = transform.jit(fn, this.opts.lowering ? { lowering: this.opts.lowering } : {});
    this.#update = async (...grads) => { await jitted(...grads); };
    return this;
  }

  /** Apply one step with `grads`, which mirror the registered weights (a Map, object, array or single value). */
  async update(grads: unknown): Promise<void> {
    if (!this.#update) throw new Error(`${this.constructor.name}: call registerTrainableWeights(...) before update(...)`);
    let vals: unknown[];
    if (this.#keys) {
      const keys = this.#keys;
      vals = grads instanceof Map ? keys.map((k) => grads.get(k)) : keys.map((k) => (grads as Record<string, unknown>)?.[k]);
      keys.forEach((k, i) => { if (vals[i] === undefined) throw new Error(`${this.constructor.name}.update: no gradient for "${k}"`); });
    } else {
      vals = Array.isArray(grads) ? grads : [grads];
    }
    if (vals.length !== this.#params.length) throw new Error(`${this.constructor.name}.update: ${vals.length} gradients for ${this.#params.length} weights`);
    await this.#update(...(vals as ArrayValue[]));
  }

  #gradMantissa(p: State, g: ArrayValue): Tensor {
    const pv = p.value;
    if (isQuantity(g) && isQuantity(pv) && !g.unit.equals(pv.unit)) {
      if (!g.unit.sameDim(pv.unit)) {
        throw new TypeError(`${this.constructor.name}: the gradient of "${p.name}" is in ${g.unit.name}, the weight in ${pv.unit.name}; pass gradients in the weight's unit (grad's default, unitAware: false)`);
      }
      return g.to(pv.unit).mantissa;
    }
    if (mantissa(g).shape.join() !== mantissa(pv).shape.join()) {
      throw new RangeError(`${this.constructor.name}: the gradient of "${p.name}" has shape [${mantissa(g).shape.join(', ')}], the weight [${mantissa(pv).shape.join(', ')}]`);
    }
    return mantissa(g);
  }

  /** Make the per-weight slots (moments); called at registration. */
  protected abstract initSlots(shapes: readonly (readonly number[])[]): void;
  /** The new weight mantissa from the old one, its gradient, the learning rate and the step count t (1 on the first update). */
  protected abstract step(i: number, p: Tensor, g: Tensor, lr: Tensor, t: Tensor): Tensor;
}

/** Plain gradient descent (optionally with momentum, optax.sgd): p -= lr * g. */
export class SGD extends Optimizer {
  #velocity: LongTermState<Tensor>[] = [];
  constructor(opts: OptimizerOptions & { momentum?: number }) {
    super(opts);
    this.momentum = opts.momentum ?? 0;
    if (!(this.momentum >= 0 && this.momentum < 1)) throw new RangeError(`SGD: momentum must be in [0, 1), got ${this.momentum}`);
  }
  readonly momentum: number;
  protected initSlots(shapes: readonly (readonly number[])[]): void {
    this.#velocity = this.momentum ? shapes.map((s, i) => new LongTermState(Tensor.full(s, 0), { name: `sgd.velocity${i}` })) : [];
  }
  protected step(i: number, p: Tensor, g: Tensor, lr: Tensor): Tensor {
    if (!this.momentum) return ops.sub(p, ops.mul(lr, g));
    const v = this.#velocity[i] as LongTermState<Tensor>;
    const nv = ops.add(ops.mul(v.value, this.momentum), g);
    v.value = nv;
    return ops.sub(p, ops.mul(lr, nv));
  }
}

export interface AdamOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/** Adam (Kingma & Ba; optax.adam defaults b1 0.9, b2 0.999, eps 1e-8), with bias correction. */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  #m: LongTermState<Tensor>[] = [];
  #v: LongTermState<Tensor>[] = [];

  constructor(opts: AdamOptions) {
    super(opts);
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    for (const [k, b] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(b >= 0 && b < 1)) throw new RangeError(`${this.constructor.name}: ${k} must be in [0, 1), got ${b}`);
    }
  }

  protected initSlots(shapes: readonly (readonly number[])[]): void {
    this.#m = shapes.map((s, i) => new LongTermState(Tensor.full(s, 0), { name: `adam.m${i}` }));
    this.#v = shapes.map((s, i) => new LongTermState(Tensor.full(s, 0), { name: `adam.v${i}` }));
  }

  /** The Adam direction mhat / (sqrt(vhat) + eps), updating the moments. */
  protected direction(i: number, g: Tensor, t: Tensor): Tensor {
    const m = this.#m[i] as LongTermState<Tensor>, v = this.#v[i] as LongTermState<Tensor>;
    const nm = ops.add(ops.mul(m.value, this.beta1), ops.mul(g, 1 - this.beta1));
    const nv = ops.add(ops.mul(v.value, this.beta2), ops.mul(ops.mul(g, g), 1 - this.beta2));
    m.value = nm;
    v.value = nv;
    const mhat = ops.div(nm, ops.sub(1, ops.binary('pow', this.beta1, t)));
    const vhat = ops.div(nv, ops.sub(1, ops.binary('pow', this.beta2, t)));
    return ops.div(mhat, ops.add(ops.unary('sqrt', vhat), this.eps));
  }

  protected step(i: number, p: Tensor, g: Tensor, lr: Tensor, t: Tensor): Tensor {
    return ops.sub(p, ops.mul(lr, this.direction(i, g, t)));
  }
}

/** AdamW: Adam with decoupled weight decay (optax.adamw, weight_decay 1e-4): p -= lr * (dir + wd * p). */
export class AdamW extends Adam {
  readonly weightDecay: number;
  constructor(opts: AdamOptions & { weightDecay?: number }) {
    super(opts);
    this.weightDecay = opts.weightDecay ?? 1e-4;
    if (!(this.weightDecay >= 0)) throw new RangeError(`AdamW: weightDecay must be >= 0, got ${this.weightDecay}`);
  }
  protected override step(i: number, p: Tensor, g: Tensor, lr: Tensor, t: Tensor): Tensor {
    return ops.sub(p, ops.mul(lr, ops.add(this.direction(i, g, t), ops.mul(p, this.weightDecay))));
  }
}
