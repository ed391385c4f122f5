#!/usr/bin/env bash
# On the lent GPU machine: the COBA network under each lowering (see bench/device/README.md).
set -uo pipefail
cd "$(dirname "$0")/../.."
source bench/device/env.sh
(cd .devbuild && timeout 500 node coba-gpu.mjs) > "$out/coba.jsonl" 2> "$out/coba.err"
grep -v '^Warning: max' "$out/coba.err" | head -20; cat "$out/coba.jsonl"
