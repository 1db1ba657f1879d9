#!/usr/bin/env bash
# Compile-checks the FusedAttention TensorRT plugin against one TensorRT header tree, without CUDA or TensorRT
# installed: builds the plugin's translation units to object files (so templates and inline code are compiled, not
# just parsed) with g++ -std=c++17 -Wall -Wextra -Werror, then links them with the library's version script into a
# throw-away shared object (TensorRT and the CUDA kernel unit left unresolved, as Linux allows) and checks that it
# exports exactly getCreators and setLoggerFinder.
#
#   plugins/fused_attention/scripts/compile-check-trt.sh TRT_INCLUDE_DIR [CUDA_INCLUDE_DIR]
#
# TRT_INCLUDE_DIR   TensorRT's public headers (NVIDIA/TensorRT include/, e.g. release/10.3, release/10.16, main=11.1).
# CUDA_INCLUDE_DIR  Real CUDA headers; default: the repository's stand-in for the three CUDA names the TensorRT
#                   headers need (interop/native/cuda_stand_in).
# Exit status 0 when the object compiles warning-free; the compiler's output otherwise.
set -euo pipefail
if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 TRT_INCLUDE_DIR [CUDA_INCLUDE_DIR]" >&2
  exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo="$(cd "$here/../.." && pwd)"
trt="$1"
cuda="${2:-$repo/interop/native/cuda_stand_in}"
[[ -f "$trt/NvInferRuntime.h" ]] || { echo "no NvInferRuntime.h in $trt" >&2; exit 2; }
[[ -f "$cuda/cuda_runtime_api.h" ]] || { echo "no cuda_runtime_api.h in $cuda" >&2; exit 2; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
version="$(sed -n 's/^#define TRT_\(MAJOR\|MINOR\|PATCH\)_ENTERPRISE \([0-9]*\).*/\2/p; s/^#define NV_TENSORRT_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\).*/\2/p' "$trt/NvInferVersion.h" | head -3 | paste -sd.)"
for unit in fusedAttentionPlugin.cpp fusedAttentionCommon.cpp; do
  ${CXX:-g++} -std=c++17 -Wall -Wextra -Werror -Wno-deprecated-declarations -fPIC -fvisibility=hidden -O1 \
    -I "$here" -I "$here/include" -isystem "$trt" -isystem "$cuda" \
    -c "$here/$unit" -o "$out/${unit%.cpp}.o"
done
${CXX:-g++} -shared -o "$out/libsrd_fused_attention_trt.so" "$out/fusedAttentionPlugin.o" "$out/fusedAttentionCommon.o" \
  -Wl,--version-script="$here/exports/trt_plugin.map"
exports="$(nm -D --defined-only "$out/libsrd_fused_attention_trt.so" | awk '$2 == "T" { print $3 }' | sort | paste -sd' ')"
left="$(nm -C --undefined-only "$out/libsrd_fused_attention_trt.so" | sed -n 's/^ *U srd::fa::\([A-Za-z]*\).*/\1/p' | sort -u | paste -sd' ')"
if [[ "$exports" != "getCreators setLoggerFinder" ]]; then
  echo "TensorRT ${version:-?}: unexpected exports: $exports" >&2
  exit 1
fi
echo "TensorRT ${version:-?} headers at $trt: compiled warning-free; exports: $exports; left for the CUDA unit: $left"
