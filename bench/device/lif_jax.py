"""The same LIF workload in JAX (lax.scan under jit, the way brainpy.state lowers for_loop), on the
same GPU: T = 1000 steps, medians of 5 calls after a compile-and-warm-up call; each call starts from
fresh device arrays and reads the spike counts back to the host, like the Spiketrace rows."""
import json, os, time
import numpy as np
import jax, jax.numpy as jnp

T = 1000
sizes = [int(float(s)) for s in os.environ.get('SIZES', '1e3,1e4,1e5,1e6,1e7').split(',')]


def step(carry, _):
    v, cnt = carry
    spk = ((v - (-50.0)) / 15.0 >= 0).astype(jnp.float32)
    v = v - (v - (-65.0)) * spk
    v = v + ((-v + (-65.0) + 20.0) / 10.0) * jnp.float32(0.0995016620)
    spk2 = ((v - (-50.0)) / 15.0 >= 0).astype(jnp.float32)
    return (v, cnt + spk2), None


@jax.jit
def rollout(v, cnt):
    (v, cnt), _ = jax.lax.scan(step, (v, cnt), None, length=T)
    return v, cnt


def make_rollout(steps):
    @jax.jit
    def run(v, cnt):
        (v, cnt), _ = jax.lax.scan(step, (v, cnt), None, length=steps)
        return v, cnt
    return run


def timed(fn, reps=5):
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); ts.append((time.perf_counter() - t0) * 1e3)
    ts.sort()
    return ts[len(ts) // 2]


one_step = make_rollout(1)
for n in sizes:
    # like the Spiketrace rows: host arrays uploaded, V and counts read back
    def host_call(run=rollout):
        v = jax.device_put(np.full((n,), -65.0, np.float32))
        c = jax.device_put(np.zeros((n,), np.float32))
        v, c = run(v, c)
        return np.asarray(v), np.asarray(c)
    med_host = timed(host_call)
    fixed_host = timed(lambda: host_call(one_step))
    print(json.dumps({'peer': 'jax', 'variant': 'lax.scan (jit), host init + V and counts read back', 'N': n, 'T': T,
                      'medianMs': med_host, 'fixedMsT1': fixed_host,
                      'marginalUsPerStep': (med_host - fixed_host) * 1e3 / (T - 1)}), flush=True)

for n in sizes:
    def call():
        v = jnp.full((n,), -65.0, jnp.float32)
        c = jnp.zeros((n,), jnp.float32)
        v, c = rollout(v, c)
        return np.asarray(c)
    t0 = time.perf_counter(); call(); first = (time.perf_counter() - t0) * 1e3
    times = []
    for _ in range(5):
        t0 = time.perf_counter(); counts = call(); times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    med = times[2]
    print(json.dumps({'peer': 'jax', 'variant': 'lax.scan (jit)', 'N': n, 'T': T, 'firstMs': first, 'medianMs': med,
                      'minMs': times[0], 'neuronStepsPerS': n * T / (med / 1e3), 'usPerStep': med * 1e3 / T,
                      'spikesPerNeuron': float(counts[0]), 'device': str(jax.devices()[0])}), flush=True)
