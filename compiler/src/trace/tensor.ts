/**
 * Tensor: the mantissa behind every Quantity. Either concrete (a host typed array, evaluated
 * eagerly through the CPU reference) or traced (a node id in an open Trace).
 */
import { allocArray, type DType, type TypedArray } from '../ir/dtype.ts';
import type { Aval } from '../ir/node.ts';
import { shapeStr, sizeOf, type Shape } from '../ir/shape.ts';
import { TraceContextError } from '../errors.ts';
import type { HostArray } from '../primitives/types.ts';
import type { Trace } from './trace.ts';

export class Tensor implements Aval {
  readonly dtype: DType;
  readonly shape: Shape;
  readonly #host: HostArray | undefined;
  readonly #trace: Trace | undefined;
  readonly #id: number;

  private constructor(aval: Aval, host: HostArray | undefined, trace: Trace | undefined, id: number) {
    this.dtype = aval.dtype;
    this.shape = Object.freeze([...aval.shape]);
    this.#host = host;
    this.#trace = trace;
    this.#id = id;
  }

  static fromHost(h: HostArray): Tensor {
    if (h.data.length !== sizeOf(h.shape)) {
      throw new RangeError(`array of ${h.data.length} elements does not fill shape ${shapeStr(h.shape)}`);
    }
    return new Tensor(h, h, undefined, -1);
  }

  static fromArray(data: TypedArray | readonly number[], shape?: Shape, dtype: DType = 'f32'): Tensor {
    const n = data.length;
    const arr = allocArray(dtype, n);
    arr.set(data as ArrayLike<number>);
    return Tensor.fromHost({ dtype, shape: shape ?? [n], data: arr });
  }

  static scalar(v: number, dtype: DType = 'f32'): Tensor {
    const data = allocArray(dtype, 1);
    data[0] = v;
    return Tensor.fromHost({ dtype, shape: [], data });
  }

  static full(shape: Shape, v: number, dtype: DType = 'f32'): Tensor {
    const data = allocArray(dtype, sizeOf(shape));
    data.fill(v);
    return Tensor.fromHost({ dtype, shape, data });
  }

  /** @internal used by Trace only */
  static traced(trace: Trace, id: number, aval: Aval): Tensor {
    return new Tensor(aval, undefined, trace, id);
  }

  get isTraced(): boolean {
    return this.#trace !== undefined;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** The trace and node id of a traced tensor (undefined for a concrete one). */
  get traceRef(): { trace: Trace; id: number } | undefined {
    return this.#trace ? { trace: this.#trace, id: this.#id } : undefined;
  }

  /** The host array of a concrete tensor; throws for a traced one. */
  toHost(): HostArray {
    if (!this.#host) {
      throw new TraceContextError(
        `this value is traced (inside a transform) and has no concrete data yet; read it after the transform's promise resolves`,
      );
    }
    return this.#host;
  }

  /**
   * The backing typed array of a concrete tensor (not a copy). Treat it as read-only, like a JAX
   * array: transforms recognise an unchanged State by identity, so edit values by assigning a new
   * Tensor or Quantity to the State.
   */
  get data(): TypedArray {
    return this.toHost().data;
  }

  /** The single element of a size-1 concrete tensor. */
  item(): number {
    const h = this.toHost();
    if (h.data.length !== 1) throw new RangeError(`item() needs one element, this tensor has shape ${shapeStr(this.shape)}`);
    return h.data[0] as number;
  }

  toString(): string {
    if (this.#trace) return `Traced<${this.dtype}${shapeStr(this.shape)}>`;
    const d = this.toHost().data;
    if (this.shape.length === 0) return fmt(d[0] as number);
    const nest = (dim: number, off: number): string => {
      const n = this.shape[dim] as number;
      const inner = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      const idx = n > 8 ? [0, 1, 2, -1, n - 3, n - 2, n - 1] : Array.from({ length: n }, (_, i) => i);
      const parts = idx.map((i) => (i < 0 ? '...' : dim === this.shape.length - 1 ? fmt(d[off + i] as number) : nest(dim + 1, off + i * inner)));
      return `[${parts.join(dim === this.shape.length - 1 ? ', ' : ', ')}]`;
    };
    return nest(0, 0);
  }
}

function fmt(v: number): string {
  return Number.isInteger(v) ? `${v}.` : String(Math.fround(v) === v ? +v.toPrecision(7) : v);
}
