import { u, brainstate, brainpy, releaseDevice } from 'spiketrace';
class Counted extends brainstate.nn.Module {
  lif: brainpy.LIF; count = new brainstate.ShortTermState<u.Quantity>(undefined, { name: 'count' });
  constructor(n: number) { super(); this.lif = new brainpy.LIF(n, { V_rest: u.mV(-65), V_reset: u.mV(-65), V_th: u.mV(-50), tau: u.ms(10), spkReset: 'hard', V_initializer: u.mV(-65) }); }
  override initState() { this.count.reset(u.math.zeros(this.lif.varshape as number[])); }
  override update() { const spk = this.lif.call(u.mA(20)); this.count.value = this.count.value.add(u.q(spk)); return undefined; }
}
const N = +(process.argv[2] ?? 1000), T = +(process.argv[3] ?? 1000), low = (process.argv[4] ?? 'temporal-fusion') as any;
const net = new Counted(N); brainstate.nn.initAllStates(net);
const step = () => { net.update(); };
for (let r = 0; r < 4; r++) {
  brainstate.nn.initAllStates(net);
  const t0 = performance.now();
  await brainstate.environ.context({ dt: u.ms(0.1) }, () => brainstate.transform.forLoop(step, { length: T, lowering: low }));
  const c = net.count.value.mantissa.data;
  console.log(r, (performance.now() - t0).toFixed(1), c[0], c[N-1], JSON.stringify({...brainstate.transform.lastRun(), plan: undefined}));
}
console.log(brainstate.transform.lastRun()?.plan);
console.log(brainstate.transform.graphsOf(step)[0]!.optimized.toString());
releaseDevice(); process.exit(0);
