#!/bin/sh
# Builds and runs the CKernels micro-benchmark (scripts/kernels/bench.c) with the
# same -O3 flags SwiftPM uses for the CKernels target. Usage: bench.sh [threads] [seconds] [with_sgemm 0|1]
# Needs libopenblas-dev (the sgemm baseline), which the build itself no longer does:
#   apt-get install libopenblas-dev
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${TMPDIR:-/tmp}/ck-bench
cc=${CC:-clang}
$cc -O3 -fno-math-errno -I"$root/Sources/CKernels/include" -I"$root/Sources/CKernels" \
    -I/usr/include/x86_64-linux-gnu/openblas-pthread \
    "$root/scripts/kernels/bench.c" "$root"/Sources/CKernels/*.c -o "$out" -lopenblas -lpthread -lm
exec "$out" "$@"
