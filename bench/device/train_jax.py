"""The training example's BPTT step in JAX, the way brainpy.state lowers it: jax.value_and_grad over
lax.scan (for_loop), under jit, on the same GPU as the Spiketrace rows (bench/suites/train.ts).

Network (examples/models/train-snn.ts): x [T, B, 32] spikes -> x @ W1 -> LIF 64 -> @ W2 -> LIF 64
-> leaky readout r <- e^{-dt/tau} r + s2 @ Wout (4 classes); loss: softmax cross-entropy of the
time-averaged readout. LIF: tau 10 ms, dt 1 ms, V_th 1 mV, V_reset = V_rest = 0, R = 1, soft reset,
spike from the stored V, exponential Euler, ReluGrad(0.3, 1) surrogate (custom_jvp).

Each timed call uploads x from the host and reads the gradients back, as Spiketrace's grad does.
Median of 5 calls after a compile-and-warm-up call. Plain lax.scan, and lax.scan over a
jax.checkpoint'ed step (rematerialization, the closest JAX analogue of a checkpointed loop).
With CROSSCHECK=path (written by bench/device/train-gpu.ts) it first recomputes Spiketrace's
loss and gradients for the same weights and data (float32 products: 'highest' precision) and prints
the largest relative difference. The timed calls use JAX's default precision.
"""
import json, math, os, time
import numpy as np
import jax, jax.numpy as jnp

A = -math.expm1(-0.1)      # 1 - e^{-dt/tau}: the exponential-Euler factor of the LIF
DECAY = math.exp(-0.1)     # the readout's decay e^{-dt/tau}
H = 64


@jax.custom_jvp
def spike(x):
    return (x >= 0).astype(x.dtype)


@spike.defjvp
def _spike_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return spike(x), jnp.maximum(0.3 - 0.3 * jnp.abs(x), 0.0) * t


def lif(v, i):
    v = v - spike(v - 1.0)          # soft reset from the stored V (V_th - V_reset = 1 mV)
    v = v + (-v + i) * A            # exp-Euler step of dV/dt = (-V + R I) / tau
    return v, spike(v - 1.0)


def make_loss(remat):
    def step(params, carry, x):
        w1, w2, wo = params
        v1, v2, r = carry
        v1, s1 = lif(v1, x @ w1)
        v2, s2 = lif(v2, s1 @ w2)
        r = DECAY * r + s2 @ wo
        return (v1, v2, r), r

    def loss(params, x, labels):
        b = x.shape[1]
        body = lambda c, xt: step(params, c, xt)
        if remat:
            body = jax.checkpoint(body)
        init = (jnp.zeros((b, H)), jnp.zeros((b, H)), jnp.zeros((b, params[2].shape[1])))
        _, rs = jax.lax.scan(body, init, x)
        logits = rs.mean(0)
        lse = jax.scipy.special.logsumexp(logits, axis=-1)
        return jnp.mean(lse - logits[jnp.arange(b), labels])

    return jax.jit(jax.value_and_grad(loss))


def crosscheck(path):
    d = json.load(open(path))
    T, B = d['T'], d['B']
    x = np.asarray(d['x'], np.float32).reshape(T, B, 32)
    labels = np.asarray(d['labels'], np.int32)
    params = tuple(jnp.asarray(np.asarray(d[k], np.float32).reshape(s)) for k, s in (('W1', (32, H)), ('W2', (H, H)), ('Wout', (H, 4))))
    # full float32 products for the comparison (JAX's default on this GPU multiplies in TF32)
    with jax.default_matmul_precision('highest'):
        val, grads = make_loss(False)(params, x, labels)
    rel = lambda a, b: float(np.max(np.abs(np.asarray(a) - b)) / max(1e-12, np.max(np.abs(b))))
    out = {'crosscheck': True, 'T': T, 'B': B, 'lossJax': float(val), 'lossSpiketrace': d['loss'],
           'lossRelDiff': abs(float(val) - d['loss']) / abs(d['loss'])}
    for k, g in zip(('gW1', 'gW2', 'gWout'), grads):
        out[f'{k}RelMaxDiff'] = rel(g.reshape(-1), np.asarray(d[k], np.float32))
    print(json.dumps(out), flush=True)


def bench():
    rng = np.random.default_rng(0)
    for T in (100, 1000):
        for B in (32, 128):
            x = (rng.random((T, B, 32)) < 0.02).astype(np.float32)
            labels = rng.integers(0, 4, B).astype(np.int32)
            params = (jnp.asarray(rng.normal(0, 40 / math.sqrt(32), (32, H)), jnp.float32),
                      jnp.asarray(rng.normal(0, 30 / math.sqrt(H), (H, H)), jnp.float32),
                      jnp.asarray(rng.normal(0, 1 / math.sqrt(H), (H, 4)), jnp.float32))
            for remat in (False, True):
                f = make_loss(remat)

                def call():
                    val, grads = f(params, jax.device_put(x), jax.device_put(labels))
                    return float(val), [np.asarray(g) for g in grads]

                t0 = time.perf_counter(); call(); first = (time.perf_counter() - t0) * 1e3
                ts = []
                for _ in range(5):
                    t0 = time.perf_counter(); val, _g = call(); ts.append((time.perf_counter() - t0) * 1e3)
                ts.sort()
                print(json.dumps({'peer': 'jax', 'T': T, 'batch': B, 'mode': 'remat' if remat else 'plain', 'firstMs': first,
                                  'gradMs': ts[2], 'minMs': ts[0], 'loss': val, 'device': str(jax.devices()[0])}), flush=True)


if os.environ.get('CROSSCHECK') and os.path.exists(os.environ['CROSSCHECK']):
    crosscheck(os.environ['CROSSCHECK'])
if os.environ.get('JAX_BENCH', '1') == '1':
    bench()
