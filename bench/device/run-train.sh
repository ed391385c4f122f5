#!/usr/bin/env bash
# On the lent GPU machine: one BPTT training step, Spiketrace (Dawn/Vulkan) and JAX (jax.grad over
# lax.scan) on the same GPU (see bench/device/README.md).
set -uo pipefail
cd "$(dirname "$0")/../.."
source bench/device/env.sh
(cd .devbuild && timeout 330 node train-gpu.mjs) > "$out/spiketrace.txt" 2> "$out/spiketrace.err"
grep -v '^Warning: max' "$out/spiketrace.err" | tail -25; cat "$out/spiketrace.txt" | tail -30
[ -n "${SKIP_JAX:-}" ] || CROSSCHECK="$out/crosscheck.json" timeout 200 python3 bench/device/train_jax.py 2> "$out/jax.err" | tee "$out/jax.jsonl"
tail -5 "$out/jax.err"
