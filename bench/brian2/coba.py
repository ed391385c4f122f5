"""The COBA E/I network of examples/coba.ts in Brian2 (Debian's python3-brian), for cross-checking
rates and inter-spike-interval statistics and for timing a reference simulator on this machine.

    python3 bench/brian2/coba.py [--neurons 4000] [--duration 1000] [--seed 1] [--target numpy|cython|cpp_standalone]

Prints one JSON object: rateE, rateI (Hz), isiCvE, isiCvI (mean coefficient of variation of ISIs
over neurons with >= 3 spikes), wallSeconds (simulation), buildSeconds, target, steps.
Same network and the same integrator (exponential Euler): 80% E / 20% I LIF neurons, tau 20 ms, V_rest = V_reset = -60 mV, V_th = -50 mV,
refractory 5 ms, R = 100 MOhm (g_L = 10 nS), 200 pA drive, V0 ~ N(-55 mV, 5 mV), each neuron
projects to 80 targets (fixed out-degree, drawn with replacement as EventFixedProb does), Expon
conductances tau 5 ms (E) / 10 ms (I), weights 6 nS / 67 nS, reversal 0 mV / -80 mV, dt 0.1 ms.
"""
import argparse, json, time
import numpy as np
import brian2 as b2

p = argparse.ArgumentParser()
p.add_argument('--neurons', type=int, default=4000)
p.add_argument('--duration', type=float, default=1000.0)
p.add_argument('--seed', type=int, default=1)
p.add_argument('--target', default='numpy')
p.add_argument('--out-degree', type=int, default=80)
a = p.parse_args()

if a.target == 'cpp_standalone':
    b2.set_device('cpp_standalone', build_on_run=False, directory='/tmp/brian2_coba')
else:
    b2.prefs.codegen.target = a.target
b2.defaultclock.dt = 0.1 * b2.ms
b2.seed(a.seed)
rng = np.random.default_rng(a.seed)

N = a.neurons
NE = int(0.8 * N)
taum, Vrest, Vth, Vreset = 20 * b2.ms, -60 * b2.mV, -50 * b2.mV, -60 * b2.mV
R, Iext = 100 * b2.Mohm, 200 * b2.pA
taue, taui, Ee, Ei, we, wi = 5 * b2.ms, 10 * b2.ms, 0 * b2.mV, -80 * b2.mV, 6 * b2.nS, 67 * b2.nS
eqs = '''
dv/dt = (-(v - Vrest) + R * (ge * (Ee - v) + gi * (Ei - v)) + R * Iext) / taum : volt (unless refractory)
dge/dt = -ge / taue : siemens
dgi/dt = -gi / taui : siemens
'''
G = b2.NeuronGroup(N, eqs, threshold='v > Vth', reset='v = Vreset', refractory=5 * b2.ms, method='exponential_euler')
G.v = (-55 + 5 * rng.standard_normal(N)) * b2.mV
k = a.out_degree
pre = np.repeat(np.arange(N), k)
post = rng.integers(0, N, size=N * k)
SE = b2.Synapses(G, G, on_pre='ge += we')
SI = b2.Synapses(G, G, on_pre='gi += wi')
e = pre < NE
SE.connect(i=pre[e], j=post[e])
SI.connect(i=pre[~e], j=post[~e])
M = b2.SpikeMonitor(G)
net = b2.Network(G, SE, SI, M)
t0 = time.perf_counter()
net.run(a.duration * b2.ms)
build = 0.0
if a.target == 'cpp_standalone':
    t1 = time.perf_counter()
    b2.device.build(directory='/tmp/brian2_coba', compile=True, run=True)
    build = time.perf_counter() - t1
    wall = b2.device._last_run_time
else:
    wall = time.perf_counter() - t0
i, t = np.asarray(M.i), np.asarray(M.t / b2.ms)
dur_s = a.duration / 1000.0
rateE = float(np.sum(i < NE) / NE / dur_s)
rateI = float(np.sum(i >= NE) / (N - NE) / dur_s)

def isi_cv(sel):
    cvs = []
    for n in sel:
        ts = np.sort(t[i == n])
        if len(ts) >= 3:
            d = np.diff(ts)
            cvs.append(float(np.std(d) / np.mean(d)))
    return float(np.mean(cvs)) if cvs else None

sample = rng.choice(N, size=min(N, 400), replace=False)
print(json.dumps({'simulator': f'brian2 {b2.__version__}', 'target': a.target, 'neurons': N, 'steps': int(round(a.duration / 0.1)),
                  'rateE': rateE, 'rateI': rateI, 'isiCvE': isi_cv([n for n in sample if n < NE]),
                  'isiCvI': isi_cv([n for n in sample if n >= NE]), 'wallSeconds': wall, 'buildSeconds': build,
                  'usPerStep': wall / (a.duration / 0.1) * 1e6}))
