#!/usr/bin/env bash
# Checks the CUDA parts of FusedAttention on a machine without the CUDA toolkit:
#   1. clang's CUDA front end parses and type-checks fusedAttentionKernel.cu for host and device (sm_80), and
#      generates device PTX for every kernel instantiation (catches host/device mismatches, template errors, calls
#      to host functions from kernels);
#   2. g++ compiles the CUDA C API and the GPU test program.
# Both use scripts/cuda_syntax_stand_in (declarations only). This is not a substitute for nvcc: it cannot check
# register use, nvcc-specific behaviour, or run anything. Build and run on a GPU machine for that (README.md).
#
#   plugins/fused_attention/scripts/check-cuda-syntax.sh [CLANG] [GTEST_INCLUDE_DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
clang="${1:-clang++-14}"
gtest_flags=()
[[ $# -ge 2 ]] && gtest_flags=(-isystem "$2")
stand_in="$here/scripts/cuda_syntax_stand_in"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$clang" -x cuda --cuda-gpu-arch=sm_80 -nocudainc -nocudalib -std=c++17 -Wall -Wextra -Werror -fsyntax-only \
  -I "$stand_in" -I "$here" "$here/fusedAttentionKernel.cu"
"$clang" -x cuda --cuda-gpu-arch=sm_80 -nocudainc -nocudalib -std=c++17 -O2 --cuda-device-only -S \
  -I "$stand_in" -I "$here" "$here/fusedAttentionKernel.cu" -o "$out/kernels.ptx"
kernels="$(grep -c '^\.visible \.entry' "$out/kernels.ptx")"
for unit in fusedAttentionCudaApi.cpp tests/fusedAttentionCudaTest.cpp; do
  ${CXX:-g++} -std=c++17 -Wall -Wextra -Werror -fsyntax-only -I "$stand_in" -I "$here" -I "$here/include" \
    -I "$here/tests" "${gtest_flags[@]}" "$here/$unit"
done
echo "CUDA sources check out: $kernels kernel instantiations compiled to PTX (sm_80); C API and GPU tests parse"
