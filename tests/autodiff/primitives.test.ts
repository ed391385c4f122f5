/** Every primitive's adjoint rule against float64 central differences (method and tolerances: check.ts). */
import { describe, expect, it } from 'vitest';
import * as ops from '../../compiler/src/trace/ops.ts';
import { bind } from '../../compiler/src/trace/bind.ts';
import type { BinaryOp, UnaryOp } from '../../compiler/src/ir/ops.ts';
import { PRIMITIVES } from '../../compiler/src/primitives/index.ts';
import { isNonDifferentiable } from '../../compiler/src/primitives/types.ts';
import { gradCheck, nonzero, uniform, type InputSpec } from './check.ts';

/** Away from the integers (for floor/ceil/round/sign, whose derivative is 0 where it exists). */
const offInteger = (r: () => number): number => Math.floor(8 * r() - 4) + 0.1 + 0.3 * r() + (r() < 0.5 ? 0 : 0.5);

const UNARY: [UnaryOp, InputSpec['gen']][] = [
  ['neg', uniform(-2, 2)], ['abs', nonzero(-2, 2)], ['exp', uniform(-3, 3)], ['expm1', uniform(-2, 2)],
  ['exprel', uniform(-4, 4)], ['log', uniform(0.2, 3)], ['log1p', uniform(-0.6, 3)], ['sqrt', uniform(0.2, 3)],
  ['rsqrt', uniform(0.2, 3)], ['sin', uniform(-4, 4)], ['cos', uniform(-4, 4)], ['tanh', uniform(-3, 3)],
  ['sigmoid', uniform(-5, 5)], ['floor', offInteger], ['ceil', offInteger], ['round', offInteger], ['sign', nonzero(-2, 2)],
];

describe('unary adjoints', () => {
  it.each(UNARY)('%s', (op, gen) => {
    gradCheck([{ shape: [3, 4], gen }], ([x]) => ops.unary(op, x!));
  });

  it('exprel near and across its series threshold', () => {
    const z = Float32Array.from([0, 1e-7, -1e-6, 1e-4, -1e-3, 0.05, -0.2, 0.2999, 0.3001, -0.3001, 1, -8]);
    const r = gradCheck([{ shape: [z.length], gen: () => 0 }], ([x]) => ops.unary('exprel', x!), { values: [z], cts: 1 });
    // exprel'(0) = 1/2
    expect(r.grads[0]!.data[0]).toBeCloseTo(0.5, 6);
  });

  it('piecewise-constant ops make no adjoint nodes', () => {
    for (const op of ['floor', 'ceil', 'round', 'sign'] as const) {
      const r = gradCheck([{ shape: [4], gen: offInteger }], ([x]) => ops.unary(op, x!));
      expect(r.vjp.adjointNodes).toBe(2); // the cotangent input and the zero gradient's literal
      expect(r.vjp.graph.nodes.map((n) => n.op)).toEqual(['const']); // the zero gradient
    }
  });
});

const BIN: [BinaryOp, InputSpec['gen'], InputSpec['gen']][] = [
  ['add', uniform(-2, 2), uniform(-2, 2)],
  ['sub', uniform(-2, 2), uniform(-2, 2)],
  ['mul', uniform(-2, 2), uniform(-2, 2)],
  ['div', uniform(-2, 2), nonzero(-2, 2, 0.3)],
  ['pow', uniform(0.2, 2.5), uniform(-2, 2)],
  ['max', uniform(-2, 2), uniform(-2, 2)],
  ['min', uniform(-2, 2), uniform(-2, 2)],
];
const SHAPES: [number[], number[]][] = [[[3, 4], [3, 4]], [[2, 3, 4], [4]], [[3, 1], [1, 4]], [[], [2, 3]], [[2, 1, 3], [2, 1]]];

describe('binary adjoints (with broadcasting)', () => {
  for (const [op, ga, gb] of BIN) {
    it.each(SHAPES)(`${op} %j with %j`, (sa, sb) => {
      gradCheck([{ shape: sa, gen: ga }, { shape: sb, gen: gb }], ([a, b]) => ops.binary(op, a!, b!), { seed: sa.length * 7 + sb.length });
    });
  }

  it('mod away from its jumps', () => {
    // a in (0.2, 0.8) * b + k b: a / b is 0.2..0.8 from an integer
    const b = Float32Array.from([1.5, -2, 0.7, 3]);
    const a = Float32Array.from({ length: 12 }, (_, i) => (0.2 + 0.6 * ((i * 0.37) % 1) + ((i % 5) - 2)) * b[i % 4]!);
    gradCheck([{ shape: [3, 4], gen: () => 0 }, { shape: [4], gen: () => 0 }], ([x, y]) => ops.binary('mod', x!, y!), { values: [a, b] });
  });

  it('max/min split ties half and half (as lax.max), rmax splits between tied positions', () => {
    const vals = [Float32Array.from([1, 2, 3]), Float32Array.from([1, 0, 3])];
    const mx = gradCheck([{ shape: [3], gen: () => 0 }, { shape: [3], gen: () => 0 }], ([a, b]) => ops.reduce('sum', ops.maximum(a!, b!)), { values: vals, atol: Infinity, cts: 1 });
    expect(Array.from(mx.grads[0]!.data)).toEqual([0.5, 1, 0.5]);
    expect(Array.from(mx.grads[1]!.data)).toEqual([0.5, 0, 0.5]);
    const rm = gradCheck([{ shape: [4], gen: () => 0 }], ([a]) => ops.reduce('rmax', a!), { values: [Float32Array.from([1, 3, 3, 2])], atol: Infinity, cts: 1 });
    expect(Array.from(rm.grads[0]!.data)).toEqual([0, 0.5, 0.5, 0]);
  });
});

describe('select, cast, compare', () => {
  it('where: both branches, broadcast; the condition gets nothing', () => {
    gradCheck(
      [{ shape: [3, 4], gen: uniform(-2, 2) }, { shape: [4], gen: uniform(-2, 2) }, { shape: [3, 1], gen: uniform(-2, 2) }],
      ([a, b, c]) => ops.where(ops.compare('gt', a!, c!), a!, b!),
    );
  });

  it('cast f32 -> f32 is the identity; through an integer it is a symbolic zero', () => {
    const r = gradCheck([{ shape: [5], gen: uniform(-3, 3) }], ([x]) => ops.mul(bind('cast', [x!], { to: 'f32' }), x!));
    expect(r.maxRelErr).toBeLessThan(1e-4);
    const z = gradCheck([{ shape: [5], gen: offInteger }], ([x]) => ops.cast(ops.cast(x!, 'i32'), 'f32'));
    expect(z.vjp.adjointNodes).toBe(2); // the cotangent input and the zero gradient's literal
    expect(Array.from(z.grads[0]!.data)).toEqual([0, 0, 0, 0, 0]);
  });

  it('comparisons and not carry no cotangent and make no nodes', () => {
    const r = gradCheck([{ shape: [4], gen: nonzero(-2, 2) }], ([x]) =>
      ops.add(ops.mul(x!, 2), ops.cast(ops.unary('not', ops.compare('lt', x!, 0)), 'f32')));
    // the cotangent input and ct * 2
    expect(r.vjp.adjointNodes).toBe(2);
    expect(r.vjp.graph.nodes.some((n) => ['lt', 'not', 'cast'].includes(n.op))).toBe(false);
  });
});

describe('global ops', () => {
  const SUMS: [number[], number[], boolean][] = [[[3, 4], [1], false], [[2, 3, 4], [0, 2], true], [[2, 3], [0, 1], false], [[2, 3, 4], [1], true]];
  for (const op of ['sum', 'rmax', 'rmin'] as const) {
    it.each(SUMS)(`${op} of %j over %j keepdims %s`, (shape, axes, keepdims) => {
      gradCheck([{ shape, gen: uniform(-2, 2) }], ([x]) => ops.reduce(op, x!, axes, keepdims));
    });
  }

  it('slice and pad (each the other\'s adjoint)', () => {
    gradCheck([{ shape: [3, 4, 5], gen: uniform(-2, 2) }], ([x]) => ops.mul(ops.slice(x!, [1, 0, 2], [3, 3, 5]), ops.slice(ops.unary('sin', x!), [0, 1, 0], [2, 4, 3])));
    gradCheck([{ shape: [2, 3], gen: uniform(-2, 2) }], ([x]) => ops.mul(ops.pad(x!, [1, 2], [0, 1]), ops.pad(ops.unary('exp', x!), [0, 1], [1, 2])));
  });

  it.each([1, 3, -2, 7])('put_row at %i (clamped into [0, 4))', (row) => {
    gradCheck([{ shape: [4, 2, 3], gen: uniform(-2, 2) }, { shape: [2, 3], gen: uniform(-2, 2) }], ([x, v]) => ops.mul(ops.putRow(x!, row, ops.unary('sin', v!)), ops.putRow(x!, 2, v!)));
  });

  it.each([2, 0, 3, -4, 9])('take_row at %i (clamped into [0, 4))', (row) => {
    gradCheck([{ shape: [4, 2, 3], gen: uniform(-2, 2) }], ([x]) => ops.mul(ops.takeRow(x!, row), ops.unary('sin', ops.takeRow(x!, 1))));
  });

  it('reshape', () => {
    gradCheck([{ shape: [3, 4], gen: uniform(-2, 2) }], ([x]) => ops.mul(ops.reshape(x!, [2, 6]), ops.reshape(ops.unary('sin', x!), [2, 6])));
  });

  it.each([[[2, 3, 4], [4, 5]], [[4], [4, 2]], [[6, 3], [3, 3]]])('matmul %j @ %j', (sx, sw) => {
    gradCheck([{ shape: sx, gen: uniform(-1, 1) }, { shape: sw, gen: uniform(-1, 1) }], ([x, w]) => ops.matmul(x!, w!));
  });
  it.each([[[2, 3, 5], [4, 5]], [[5], [2, 5]]])('matmul_wt (x @ w^T) %j with %j', (sx, sw) => {
    gradCheck([{ shape: sx, gen: uniform(-1, 1) }, { shape: sw, gen: uniform(-1, 1) }], ([x, w]) => ops.matmulWt(x!, w!));
  });
  it.each([[[2, 3, 4], [2, 3, 5]], [[4], [2]], [[6, 3], [6, 2]]])('matmul_xt (x^T @ y) %j with %j', (sx, sy) => {
    gradCheck([{ shape: sx, gen: uniform(-1, 1) }, { shape: sy, gen: uniform(-1, 1) }], ([x, y]) => ops.matmulXt(x!, y!));
  });
});

describe('the rule table', () => {
  it('is total, and only event_count\'s adjoints (event_gather, event_outer) are marked non-differentiable', () => {
    const marked = Object.values(PRIMITIVES).filter((p) => isNonDifferentiable(p.vjp)).map((p) => p.op);
    expect(marked).toEqual(['event_gather', 'event_outer']);
    for (const p of Object.values(PRIMITIVES)) expect(p.vjp).toBeTruthy();
  });
});
