import { u, brainstate, brainpy, releaseDevice } from 'spiketrace';
const a = new brainpy.LIF(2, { V_th: u.mV(-50), V_reset: u.mV(-65), V_rest: u.mV(-65), tau: u.ms(10) });
const b = new brainpy.LIF(2, { V_th: u.mV(-50), V_reset: u.mV(-65), V_rest: u.mV(-65), tau: u.ms(10) });
brainstate.nn.initAllStates(a); brainstate.nn.initAllStates(b);
const f = (m: any, x: u.Quantity) => { m.call(x); return m.V.value; };
const jf = brainstate.transform.jit(f, { lowering: 'interpret' });
try {
  const p1 = brainstate.environ.context({ dt: u.ms(0.1) }, () => jf(a, u.mA([20, 20])));
  const p2 = brainstate.environ.context({ dt: u.ms(0.1) }, () => jf(b, u.mA([20, 20])));
  await p1; await p2;
  console.log('a.V', String(a.V.value), 'b.V', String(b.V.value), 'traces', brainstate.transform.traceCount());
} catch (e) { console.log('jit static module error:', (e as Error).name, (e as Error).message.slice(0, 300)); }
releaseDevice();
