/**
 * Throwaway experiment (measured, not asserted): the cost of reading a delayed State from its
 * ring buffer, `take_row` (one load per element at the run-time row, what delay.ts does) against
 * the masked sum over rows it replaced (`sum_r where(r == row, history, 0)`, L loads per element).
 * Both variants write with delay.ts's `put_row`, in place since the reads come first.
 *
 *   npx tsx bench/experiments/delay-read.ts [--n=4000] [--delay=5] [--steps=1000] [--runs=5] [--lowering=dispatch-chain]
 *
 * A LIF population of n neurons, V read `delay` ms ago (dt 0.1 ms: L = delay/dt + 1 rows) and fed
 * back as a small current, `steps` steps per forLoop call; median wall time of `runs` calls after
 * a warm-up (compile and upload excluded by the warm-up; each call uploads the States and reads
 * back the outputs, the same for both). Both reads are checked to give the same trace first.
 */
import { ops, Tensor } from '@spiketrace/compiler';
import { u, brainstate, brainpy, releaseDevice } from 'spiketrace';
import { argOf, numArg } from '../lib/args.ts';

const N = numArg('n', 4000);
const DELAY = numArg('delay', 5);
const STEPS = numArg('steps', 1000);
const RUNS = numArg('runs', 5);
const LOWERING = argOf('lowering', 'dispatch-chain') as 'dispatch-chain' | 'persistent-workgroup';
const dt = u.ms(0.1);

async function measure(mode: 'take_row' | 'masked-sum') {
  const lif = new brainpy.LIF(N, { V_rest: u.mV(-65), V_th: u.mV(-50), V_reset: u.mV(-65), tau: u.ms(10), V_initializer: brainpy.Normal(u.mV(-60), u.mV(3)) });
  const reader = brainstate.environ.context({ dt }, () => brainpy.delayed(lif, 'V').at(u.ms(DELAY)));
  brainstate.nn.initAllStates(lif);
  const buf = (lif as unknown as { delayBuffers: brainpy.StateDelay[] }).delayBuffers[0]!;
  const L = buf.maxSteps + 1;
  const rows = Tensor.fromArray(Int32Array.from({ length: L }, (_, r) => r), [L, 1], 'i32');
  const read = (): u.Quantity => {
    if (mode === 'take_row') return reader();
    const row = ops.binary('mod', ops.add(buf.ptr.value, L - 1 - Math.round(DELAY / 0.1)), L);
    const h = buf.history.value;
    return new u.Quantity(ops.reduce('sum', ops.where(ops.compare('eq', rows, row), h.mantissa, 0), 0), h.unit);
  };
  const drive = u.mA(Tensor.fromArray(Float32Array.from({ length: N }, (_, i) => 14 + (i % 7)), [N]));
  const step = () => {
    const late = read();
    lif.call(drive.add(late.sub(u.mV(-65)).div(u.ohm(1)).mul(0.01)));
    return lif.V.value.sum();
  };
  const once = async () => brainstate.environ.context({ dt }, () => brainstate.transform.forLoop(step, { length: STEPS, lowering: LOWERING })) as Promise<u.Quantity>;
  brainstate.nn.initAllStates(lif);
  const trace = Array.from((await once()).mantissa.data);
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    brainstate.nn.initAllStates(lif);
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { trace, ms: times[Math.floor(times.length / 2)]!, L };
}

const a = await measure('take_row');
const b = await measure('masked-sum');
const same = a.trace.every((v, i) => v === b.trace[i]);
console.log(JSON.stringify({ n: N, delayMs: DELAY, rows: a.L, steps: STEPS, lowering: LOWERING, sameTrace: same, usPerStep: { take_row: (a.ms * 1000) / STEPS, maskedSum: (b.ms * 1000) / STEPS }, ratio: b.ms / a.ms }));
releaseDevice();
