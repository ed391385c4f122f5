import { u, brainstate, brainpy, releaseDevice } from 'spiketrace';
// 1. jit with a module passed as a static arg
const a = new brainpy.LIF(2, { V_th: u.mV(-50), V_reset: u.mV(-65), V_rest: u.mV(-65), tau: u.ms(10) });
const b = new brainpy.LIF(2, { V_th: u.mV(-50), V_reset: u.mV(-65), V_rest: u.mV(-65), tau: u.ms(10) });
brainstate.nn.initAllStates(a); brainstate.nn.initAllStates(b);
const f = (m: any, x: u.Quantity) => { m.call(x); return m.V.value; };
const jf = brainstate.transform.jit(f, { lowering: 'interpret' });
try {
  await brainstate.environ.context({ dt: u.ms(0.1) }, async () => {
    const r1 = await jf(a, u.mA([20, 20]));
    const r2 = await jf(b, u.mA([20, 20]));
    console.log('a.V', String(a.V.value), 'b.V', String(b.V.value), 'traces', brainstate.transform.traceCount());
  });
} catch (e) { console.log('jit static module error:', (e as Error).message.slice(0, 300)); }
// 2. eager write between call and run
const n = new brainpy.LIF(1, { V_th: u.mV(100), tau: u.ms(10) });
brainstate.nn.initAllStates(n);
const step = () => { n.call(u.mA([0])); return n.V.value; };
const p = brainstate.environ.context({ dt: u.ms(0.1) }, () => brainstate.transform.forLoop(step, { length: 3, lowering: 'interpret' }));
n.V.value = u.mV([50]);
const ys = await p;
console.log('ys after eager write between call and run:', String(ys), 'V now', String(n.V.value));
releaseDevice();
