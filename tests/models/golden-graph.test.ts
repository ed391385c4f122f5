/** Golden text of the walk-through's traced step, before and after the passes, and its kernel. */
import { afterAll, expect, it } from 'vitest';
import { u, brainstate, brainpy, releaseDevice } from 'spiketrace';
import { lower, optimize, verify } from '@spiketrace/compiler';

afterAll(() => releaseDevice());

it('walk-through step: traced graph, optimized graph, plan', async () => {
  const neuron = new brainpy.LIF(1, { V_rest: u.mV(-65), V_th: u.mV(-50), V_reset: u.mV(-65), tau: u.ms(10), spkReset: 'hard', name: 'lif' });
  brainstate.nn.initAllStates(neuron);
  const step = (t: u.Quantity) => brainstate.environ.context({ t }, () => {
    const current = u.math.where(t.gt(u.ms(50)), u.mA(20), u.mA(0));
    neuron.call(u.math.ones([1]).mul(current));
    return neuron.V.value;
  });
  await brainstate.environ.context({ dt: u.ms(0.1) }, () =>
    brainstate.transform.forLoop(step, u.math.arange(u.ms(0), u.ms(1), u.ms(0.1)), { lowering: 'interpret' }));
  const [g] = brainstate.transform.graphsOf(step);
  expect(g).toBeDefined();
  // the verifier holds after every pass
  optimize(g!.traced, { verifyEach: true });
  verify(g!.optimized, 'optimize');
  expect(g!.traced.toString()).toMatchInlineSnapshot(`
    "graph forLoop {
      %0: f32[] = input xs#0
      %1: f32[] = const 50
      %2: bool[] = gt %0, %1
      %3: f32[] = const 20
      %4: f32[] = const 0
      %5: f32[] = where %2, %3, %4
      %6: f32[1] = const 1
      %7: f32[1] = mul %6, %5
      %8: f32[1] = input state#0 "lif.V"
      %9: f32[] = const -50
      %10: f32[1] = sub %8, %9
      %11: f32[] = const 15
      %12: f32[1] = div %10, %11
      %13: f32[1] = heaviside {surrogate:ReluGrad,params:[0.3,1]} %12
      %14: f32[1] = stop_gradient %8
      %15: f32[] = const -65
      %16: f32[1] = sub %14, %15
      %17: f32[1] = mul %16, %13
      %18: f32[1] = sub %8, %17
      %19: f32[1] = neg %18
      %20: f32[] = const -65
      %21: f32[1] = add %19, %20
      %22: f32[] = const 1
      %23: f32[1] = mul %22, %7
      %24: f32[1] = add %21, %23
      %25: f32[] = const 10
      %26: f32[1] = div %24, %25
      %27: f32[] = const 0.10000000149011612
      %28: f32[1] = mul %27, %26
      %29: f32[] = const 0.9950166344642639
      %30: f32[1] = mul %28, %29
      %31: f32[1] = add %18, %30
      %32: f32[] = const -50
      %33: f32[1] = sub %31, %32
      %34: f32[] = const 15
      %35: f32[1] = div %33, %34
      %36: f32[1] = heaviside {surrogate:ReluGrad,params:[0.3,1]} %35
      out state#0 "lif.V" <- %31
      out y#0 <- %31
    }"
  `);
  expect(g!.optimized.toString()).toMatchInlineSnapshot(`
    "graph forLoop {
      %0: f32[] = input xs#0
      %1: f32[] = const 50
      %2: bool[] = gt %0, %1
      %3: f32[] = const 20
      %4: f32[] = const 0
      %5: f32[] = where %2, %3, %4
      %6: f32[1] = const 1
      %7: f32[1] = mul %6, %5
      %8: f32[1] = input state#0 "lif.V"
      %9: f32[] = const -50
      %10: f32[1] = sub %8, %9
      %11: f32[] = const 15
      %12: f32[1] = div %10, %11
      %13: f32[1] = heaviside {surrogate:ReluGrad,params:[0.3,1]} %12
      %14: f32[1] = stop_gradient %8
      %15: f32[] = const -65
      %16: f32[1] = sub %14, %15
      %17: f32[1] = mul %16, %13
      %18: f32[1] = sub %8, %17
      %19: f32[1] = neg %18
      %20: f32[1] = add %19, %15
      %21: f32[1] = add %20, %7
      %22: f32[] = const 10
      %23: f32[1] = div %21, %22
      %24: f32[] = const 0.09950166195631027
      %25: f32[1] = mul %23, %24
      %26: f32[1] = add %18, %25
      out state#0 "lif.V" <- %26
      out y#0 <- %26
    }"
  `);
  const plan = lower(g!.optimized, 10);
  expect(plan.lowering).toBe('temporal-fusion');
  expect(plan.kernels.map((k) => k.wgsl).join('\n')).toMatchInlineSnapshot(`
    "// k0_fused_p0
    struct Round { t0: u32, count: u32 }
    @group(0) @binding(0) var<uniform> rnd: Round;
    @group(0) @binding(1) var<storage, read> b1: array<f32>;
    @group(0) @binding(2) var<storage, read> b2: array<f32>;
    @group(0) @binding(3) var<storage, read_write> b3: array<f32>;
    @group(0) @binding(4) var<storage, read_write> b4: array<f32>;
    @compute @workgroup_size(64)
    fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
      let i = gid.x + gid.y * nwg.x * 64u;
      if (i >= 1u) { return; }
      let c0 = (i / 1u) % 1u;
      var r1: f32 = b2[i];
      for (var s = 0u; s < rnd.count; s++) {
        let t = rnd.t0 + s;
        let v0 = b1[t * 1u + 0u];
        let v2: bool = (v0 > f32(50.0));
        let v5: f32 = select(f32(0.0), f32(20.0), v2);
        let v7: f32 = (f32(1.0) * v5);
        let v10: f32 = (r1 - f32(-50.0));
        let v13: f32 = select(0.0, 1.0, v10 >= 0.0);
        let v14: f32 = r1;
        let v16: f32 = (v14 - f32(-65.0));
        let v17: f32 = (v16 * v13);
        let v18: f32 = (r1 - v17);
        let v19: f32 = (-v18);
        let v20: f32 = (v19 + f32(-65.0));
        let v21: f32 = (v20 + v7);
        let v23: f32 = (v21 / f32(10.0));
        let v25: f32 = (v23 * f32(0.0995016620));
        let v26: f32 = (v18 + v25);
        let n1 = v26;
        b4[t * 1u + i] = v26;
        r1 = n1;
      }
      b3[i] = r1;
    }
    "
  `);
});
