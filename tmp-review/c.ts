import { u, brainstate, brainpy, releaseDevice } from 'spiketrace';
const a = new brainpy.LIF(2, { name: 'n', V_th: u.mV(-50), V_reset: u.mV(-65), V_rest: u.mV(-65), tau: u.ms(10) });
const b = new brainpy.LIF(2, { name: 'n', V_th: u.mV(-50), V_reset: u.mV(-65), V_rest: u.mV(-65), tau: u.ms(1) });
brainstate.nn.initAllStates(a); brainstate.nn.initAllStates(b);
const f = (m: any, x: u.Quantity) => { m.call(x); return m.V.value; };
const jf = brainstate.transform.jit(f, { lowering: 'interpret' });
console.log(JSON.stringify(a).slice(0, 200));
const p1 = brainstate.environ.context({ dt: u.ms(0.1) }, () => jf(a, u.mA([20, 20])));
const p2 = brainstate.environ.context({ dt: u.ms(0.1) }, () => jf(b, u.mA([20, 20])));
const r1 = await p1; const r2 = await p2;
console.log('r1', String(r1), 'r2', String(r2), 'a.V', String(a.V.value), 'b.V', String(b.V.value), 'traces', brainstate.transform.traceCount());
// expected for b (tau=1ms): V = 0 + (1-exp(-0.1))*(-0 -65 + 20) 
console.log('expected b', (1-Math.exp(-0.1))*(-65+20), 'expected a', (1-Math.exp(-0.01))*(-65+20));
releaseDevice();
