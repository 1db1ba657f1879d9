#!/usr/bin/env bash
# Compile-checks the TensorRT shim (libsrd_trt.so) against one set of TensorRT public headers, on a machine without
# CUDA or TensorRT, and checks what came out:
#   1. builds the shim with -Wall -Wextra -Werror (deprecated TensorRT APIs used outside the version guards fail);
#   2. links it with --no-undefined: no TensorRT or CUDA symbol is needed at link time (all come through dlopen);
#   3. its exports are exactly the functions of srd_trt.h;
#   4. runs the ctest srd_trt_without_tensorrt (a C program loading the shim where TensorRT is absent).
#
# Usage: interop/native/scripts/compile-check.sh TRT_INCLUDE_DIR [ONNX_PARSER_INCLUDE_DIR] [CUDA_INCLUDE_DIR]
#   TRT_INCLUDE_DIR          TensorRT's include/ (NvInfer.h, NvInferVersion.h, ...)
#   ONNX_PARSER_INCLUDE_DIR  folder with NvOnnxParser.h when it is not in TRT_INCLUDE_DIR (TensorRT < 10.14);
#                            pass "" to skip when giving CUDA_INCLUDE_DIR
#   CUDA_INCLUDE_DIR         real CUDA headers; default: interop/native/cuda_stand_in (three CUDA types only)
# The build goes to artifacts/native-compile-check/trt-<version>/. The headers are only read, never copied.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"

if [[ $# -lt 1 || $# -gt 3 ]]; then
  sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
trt_dir="$(cd "$1" && pwd)"
parser_dir="${2:-}"
cuda_dir="${3:-}"
[[ -n "$parser_dir" ]] && parser_dir="$(cd "$parser_dir" && pwd)"
[[ -n "$cuda_dir" ]] && cuda_dir="$(cd "$cuda_dir" && pwd)"
[[ -f "$trt_dir/NvInferVersion.h" ]] || { echo "compile-check: $trt_dir/NvInferVersion.h not found" >&2; exit 2; }

# NvInferVersion.h spells the version either NV_TENSORRT_MAJOR 10 (<= 10.x early) or TRT_MAJOR_ENTERPRISE 10.
version_part() {
  local value
  value="$(grep -E "^#define (TRT_$1_ENTERPRISE|NV_TENSORRT_$1) +[0-9]+" "$trt_dir/NvInferVersion.h" | head -n1 | awk '{print $3}')"
  echo "${value:-?}"
}
version="$(version_part MAJOR).$(version_part MINOR).$(version_part PATCH)"
build_dir="$repo/artifacts/native-compile-check/trt-$version"
echo "[compile-check] TensorRT $version headers: $trt_dir"

cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
  -DSRD_TENSORRT_INCLUDE_DIR="$trt_dir" \
  -DSRD_TENSORRT_ONNX_PARSER_INCLUDE_DIR="$parser_dir" \
  -DSRD_CUDA_INCLUDE_DIR="$cuda_dir" >/dev/null
cmake --build "$build_dir" --target srd_trt srd_trt_without_tensorrt_test --parallel "$(nproc)"

library="$build_dir/lib/libsrd_trt.so"
expected="$(grep -oE '\bsrd_[a-z0-9_]+\(' "$repo/interop/native/include/srd_trt.h" | tr -d '(' | sort -u)"
exported="$(nm -D --defined-only "$library" | awk '{print $3}' | grep -v '^_' | sort -u)"
if [[ "$expected" != "$exported" ]]; then
  echo "[compile-check] exports differ from srd_trt.h (< header only, > library only):" >&2
  diff <(echo "$expected") <(echo "$exported") >&2 || true
  exit 1
fi
undefined="$(nm -D --undefined-only "$library" | awk '{print $2}' | grep -E 'nvinfer|nvonnxparser|createInfer|cuda' || true)"
if [[ -n "$undefined" ]]; then
  echo "[compile-check] TensorRT/CUDA symbols needed at link time: $undefined" >&2
  exit 1
fi
echo "[compile-check] exports: $(echo "$exported" | wc -l) functions, exactly those of srd_trt.h; no TensorRT/CUDA link dependency"
ctest --test-dir "$build_dir" -R '^srd_trt_without_tensorrt$' --output-on-failure
echo "[compile-check] OK: TensorRT $version"
