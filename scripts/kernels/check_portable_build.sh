#!/bin/sh
# Builds CKernels with CK_FORCE_PORTABLE (no x86 intrinsics, as on aarch64) and
# checks dequantization against the golden fixtures and the packed matmul
# against the raw one. Usage: scripts/kernels/check_portable_build.sh
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${TMPDIR:-/tmp}/ck-portable-check
${CC:-clang} -O2 -DCK_FORCE_PORTABLE -Wall -Wextra -I"$root/Sources/CKernels/include" -I"$root/Sources/CKernels" \
    "$root/scripts/kernels/check_portable.c" "$root"/Sources/CKernels/*.c -o "$out" -lpthread -lm
cd "$root" && exec "$out"
