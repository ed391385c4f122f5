#!/usr/bin/env bash
# On the lent GPU machine: the COBA network under each lowering, then the same network in JAX on
# the same GPU (coba_jax.py; JAX=0 skips it). See bench/device/README.md.
set -uo pipefail
cd "$(dirname "$0")/../.."
source bench/device/env.sh
(cd .devbuild && timeout 500 node coba-gpu.mjs) > "$out/coba.jsonl" 2> "$out/coba.err"
grep -v '^Warning: max' "$out/coba.err" | head -20; cat "$out/coba.jsonl"
if [ "${JAX:-1}" != 0 ]; then
  PYTHONUNBUFFERED=1 timeout 300 python3 bench/device/coba_jax.py > "$out/coba-jax.jsonl" 2> "$out/coba-jax.err"
  grep -v -i warning "$out/coba-jax.err" | tail -5; cat "$out/coba-jax.jsonl"
fi
