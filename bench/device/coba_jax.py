"""The COBA network of examples/models/coba.ts written directly in JAX, timed on the same GPU as
coba-gpu.mjs: the peer a brainpy.state user has (brainpy.state lowers for_loop to lax.scan under jit).

Same network and the same update order as Spiketrace's (brainpy.state's): LIFRef with soft reset
from the stored V, refractory hold by last_spike_time, exponential-Euler steps with the COBA
conductances' slope in the Jacobian, Expon conductances decayed then incremented by the spikes of
the stored V, fixed out-degree connectivity (80 targets per neuron, drawn with replacement), f32.
The connectivity and initial V are this script's own random draws, so rates agree statistically,
not spike for spike.

Spike delivery is written two ways, since plain JAX has no event-driven sparse operator:
  scatter: every synapse's weight times its pre spike, summed onto the targets with `.at[].add`
           (work proportional to the synapses, not the spikes: what a JAX user writes by hand);
  dense:   spikes @ W with a dense [n, n] weight matrix (brainpy.state's `Linear`; n = 4000 only).
Each call starts from host arrays, runs `steps` steps in one lax.scan and reads the packed raster
back (np.packbits per step, 32x smaller than bools, like Spiketrace's pack_bits), median of 3
calls after a compile-and-warm-up call; also at a tenth of the steps for the marginal cost.

    SIZES=4000,40000 STEPS=10000 python3 coba_jax.py    # one JSON line per configuration
"""
import json, os, time
import numpy as np
import jax, jax.numpy as jnp

DT = 0.1  # ms
TAU, V_REST, V_RESET, V_TH, TAU_REF = 20.0, -60.0, -60.0, -50.0, 5.0  # ms, mV
R = 0.1  # mV per pA (100 MOhm); R * nS = 0.1 (dimensionless)
DRIVE = 200.0  # pA
TAU_E, TAU_I, E_E, E_I, W_E, W_I = 5.0, 10.0, 0.0, -80.0, 6.0, 67.0  # ms, mV, nS
K = 80


def exprel(z):
    # (e^z - 1) / z, exact at 0
    small = jnp.abs(z) < 1e-4
    zs = jnp.where(small, 1.0, z)
    return jnp.where(small, 1.0 + z / 2, jnp.expm1(zs) / zs)


def exp_euler(x, drift, jac):
    return x + DT * drift * exprel(jac * DT)


def make_step(n, n_e, deliver):
    def step(carry, t):
        V, ge, gi, last = carry
        spk = (V - V_TH) / (V_TH - V_RESET) >= 0
        de, di = deliver(spk.astype(jnp.float32))
        ge = exp_euler(ge, -ge / TAU_E, -1.0 / TAU_E) + de
        gi = exp_euler(gi, -gi / TAU_I, -1.0 / TAU_I) + di
        held = t - last < TAU_REF
        vr = V - (V_TH - V_RESET) * spk
        I = ge * (E_E - vr) + gi * (E_I - vr) + DRIVE
        drift = (-vr + V_REST + R * I) / TAU
        jac = (R * -(ge + gi) - 1.0) / TAU
        V = jnp.where(held, vr, exp_euler(vr, drift, jac))
        fired = V >= V_TH
        last = jnp.where(fired, t, last)
        return (V, ge, gi, last), jnp.packbits(fired)
    return step


def network(n, seed):
    rng = np.random.default_rng(seed)
    n_e = int(0.8 * n)
    post = rng.integers(0, n, size=(n, K)).astype(np.int32)
    V0 = (-55.0 + 5.0 * rng.standard_normal(n)).astype(np.float32)
    return n_e, post, V0


def scatter_delivery(n, n_e, post):
    post_e, post_i = jnp.asarray(post[:n_e].ravel()), jnp.asarray(post[n_e:].ravel())

    def deliver(spk):
        de = jnp.zeros(n, jnp.float32).at[post_e].add(jnp.repeat(spk[:n_e] * W_E, K))
        di = jnp.zeros(n, jnp.float32).at[post_i].add(jnp.repeat(spk[n_e:] * W_I, K))
        return de, di
    return deliver


def dense_delivery(n, n_e, post):
    counts = np.zeros((n, n), np.float32)
    np.add.at(counts, (np.repeat(np.arange(n), K), post.ravel()), 1.0)
    WE, WI = jnp.asarray(counts[:n_e] * W_E), jnp.asarray(counts[n_e:] * W_I)

    def deliver(spk):
        return spk[:n_e] @ WE, spk[n_e:] @ WI
    return deliver


def timed_calls(n, steps, deliver, V0, n_e):
    step = make_step(n, n_e, deliver)

    @jax.jit
    def run(V, ge, gi, last, ts):
        _, packed = jax.lax.scan(step, (V, ge, gi, last), ts)
        return packed

    ts_host = (np.arange(steps) * DT).astype(np.float32)

    def call():
        t0 = time.perf_counter()
        V = jax.device_put(V0)
        z = jax.device_put(np.zeros(n, np.float32))
        last = jax.device_put(np.full(n, -1e7, np.float32))
        packed = np.asarray(run(V, z, z, last, jax.device_put(ts_host)))
        return (time.perf_counter() - t0) * 1e3, packed

    first_ms, _ = call()
    calls = sorted((call() for _ in range(3)), key=lambda c: c[0])
    return first_ms, calls[1]


sizes = [int(s) for s in os.environ.get('SIZES', '4000,40000').split(',')]
steps = int(os.environ.get('STEPS', '10000'))
print(json.dumps({'peer': 'jax', 'version': jax.__version__, 'device': str(jax.devices()[0])}), flush=True)
for n in sizes:
    n_e, post, V0 = network(n, 1)
    variants = [('scatter', scatter_delivery)] + ([('dense', dense_delivery)] if n <= 4000 else [])
    for label, make in variants:
        deliver = make(n, n_e, post)
        short_first, (short_ms, _) = timed_calls(n, steps // 10, deliver, V0, n_e)
        first, (ms, packed) = timed_calls(n, steps, deliver, V0, n_e)
        fired = np.unpackbits(packed, axis=1)[:, :n]
        secs = steps * DT / 1000
        print(json.dumps({
            'peer': 'jax', 'n': n, 'variant': f'lax.scan (jit), {label} delivery', 'steps': steps,
            'firstMs': first, 'medianMs': ms, 'usPerStep': ms * 1e3 / steps, 'shortMs': short_ms,
            'marginalUsPerStep': (ms - short_ms) * 1e3 / (steps - steps // 10),
            'rateE': float(fired[:, :n_e].sum() / n_e / secs), 'rateI': float(fired[:, n_e:].sum() / (n - n_e) / secs),
        }), flush=True)
