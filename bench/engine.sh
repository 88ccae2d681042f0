#!/bin/sh
# Engine throughput (prefill 128, decode 64 single sequence, aggregate decode
# of 1/4/16/32 sequences with 128-token prompts) on 2 threads. Sluice's own
# figures only: peer ratios need both engines side by side in one run. Writes
# bench/results/engine.md. The machine is shared: numbers are noisy, compare
# ratios from one run.
set -e
cd "$(dirname "$0")/.."
MODEL=${SLUICE_MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
THREADS=${THREADS:-2}
# `make bench-engine` passes the binary it built (SLUICE_BIN); run alone, the
# script builds the release binary itself.
BIN=${SLUICE_BIN:-}
if [ -z "$BIN" ]; then
  swift build -c release --product sluice >/dev/null
  BIN=.build/release/sluice
fi
OUT=bench/results/engine.md
{
  echo "# Engine benchmark"
  echo
  echo "\`bench/engine.sh\`, $(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "## Default numerics: llama.cpp's rounding (bit-identical logits)"
  echo
  "$BIN" bench-engine --model "$MODEL" --threads "$THREADS" --sequences 1,4,16,32 --numerics llama.cpp
  echo
  echo "## \`--numerics fast\`: our own rounding"
  echo
  "$BIN" bench-engine --model "$MODEL" --threads "$THREADS" --sequences 1,4,16,32 --numerics fast
} > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
cat "$OUT"
