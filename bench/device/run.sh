#!/usr/bin/env bash
# On the lent GPU machine (see bench/device/README.md): Spiketrace and JAX on the same GPU.
set -uo pipefail
cd "$(dirname "$0")/../.."
source bench/device/env.sh
(cd .devbuild && timeout 400 node lif-gpu.mjs) > "$out/spiketrace.jsonl" 2> "$out/spiketrace.err"
grep -v '^Warning: max' "$out/spiketrace.err" | head -30; cat "$out/spiketrace.jsonl"
[ -n "${SKIP_JAX:-}" ] || timeout 180 python3 bench/device/lif_jax.py 2> "$out/jax.err" | tee "$out/jax.jsonl"
