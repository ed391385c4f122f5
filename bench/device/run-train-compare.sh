#!/usr/bin/env bash
# On the lent GPU machine: the training step under each lowering, interleaved so that GPU clock
# ramp-up does not favour one (persistent, chain, persistent, chain), then the full suite with
# the cost model's choice and JAX (run-train.sh). Speed part only for the forced lowerings.
set -uo pipefail
cd "$(dirname "$0")/../.."
source bench/device/env.sh
for L in persistent-workgroup dispatch-chain persistent-workgroup dispatch-chain; do
  (cd .devbuild && RUNS=3 PARTS=speed LOWERING=$L STEM=train-$L timeout 120 node train-gpu.mjs) 2>&1 | grep "T=" | sed "s/^/$L /; s/, update.*saved [0-9.]* MiB;/;/" | tee -a "$out/compare.txt"
done
RUNS=5 bash bench/device/run-train.sh 2>&1 | grep -v "^  T=" | tail -30
