#!/usr/bin/env bash
# Builds this bundle's TensorRT engine ON THE DEVICE and validates it against the shipped reference outputs.
# Made by `srdeploy package` for model @@NAME@@ (see README.md beside manifest.json).
#
#   scripts/build_and_validate.sh [--out DIR] [--plan PLAN] [--skip-validation] [--dry-run]
#
#   --out DIR          where the plugin, plan, timing cache, logs and results go (default: ./out-@@NAME@@)
#   --plan PLAN        validate this plan (e.g. a shipped plans/*.plan) instead of building one
#   --skip-validation  build only
#   --dry-run          print the commands instead of running them (no CUDA or TensorRT needed)
#
# Steps
#   1. check every file of the bundle against manifest.json (sha256, size)
#   2. build the FusedAttention TensorRT plugin with CMake from plugin/source (when the model uses it)
#   3. build the plan with trtexec, with the same optimization profiles and settings as the bundle's manifest
#   4. run scripts/validate_plan.py: the plan on every reference input, compared with the reference outputs
#
# Settings (environment variables; defaults fit JetPack 6 = TensorRT 10.3 on Jetson Orin):
#   TRT_INCLUDE_DIR     TensorRT headers              default /usr/include/<arch>-linux-gnu (JetPack: aarch64)
#   TRT_LIB_DIR         TensorRT libraries            default /usr/lib/<arch>-linux-gnu
#   CUDA_HOME           CUDA toolkit                  default /usr/local/cuda
#   CUDA_ARCHITECTURES  compute capabilities          default 87 on aarch64 (Orin), else the local GPU's
#   TRTEXEC             trtexec                       default /usr/src/tensorrt/bin/trtexec, else trtexec on PATH
#   PYTHON              Python with tensorrt + numpy  default python3
#   SRD_PLUGIN_LIB      an already built plugin library to use instead of building one
#   TRTEXEC_EXTRA_ARGS  more trtexec arguments, e.g. "--noTF32" (fp32 plans on TensorRT 10.x) or "--verbose"
#
# Exit status: 0 built and validated; 1 validation failed; 2 usage; 3 bundle damaged; 4 a tool or library is
# missing; 5 building the plugin or the plan failed.
set -euo pipefail

name="@@NAME@@"
uses_plugin=@@USES_PLUGIN@@
plugin_library_name="@@PLUGIN_LIBRARY_NAME@@"

bundle="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$PWD/out-$name"
plan=""
dry_run=0
validate=1

usage() { sed -n '5,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; }
die() { local code=$1; shift; printf 'build_and_validate: %s\n' "$*" >&2; exit "$code"; }
say() { printf '[build_and_validate] %s\n' "$*" >&2; }
run() {
  printf '+' >&2
  printf ' %q' "$@" >&2
  printf '\n' >&2
  if ((dry_run)); then return 0; fi
  "$@"
}

while (($#)); do
  case "$1" in
    --out) [[ $# -ge 2 ]] || { usage; die 2 "--out needs a folder"; }; out="$2"; shift 2 ;;
    --plan) [[ $# -ge 2 ]] || { usage; die 2 "--plan needs a file"; }; plan="$2"; shift 2 ;;
    --skip-validation) validate=0; shift ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage; die 2 "unknown argument: $1" ;;
  esac
done

arch="$(uname -m)"
TRT_INCLUDE_DIR="${TRT_INCLUDE_DIR:-/usr/include/$arch-linux-gnu}"
TRT_LIB_DIR="${TRT_LIB_DIR:-/usr/lib/$arch-linux-gnu}"
CUDA_HOME="${CUDA_HOME:-/usr/local/cuda}"
PYTHON="${PYTHON:-python3}"
if [[ -z "${TRTEXEC:-}" ]]; then
  if [[ -x /usr/src/tensorrt/bin/trtexec ]]; then TRTEXEC=/usr/src/tensorrt/bin/trtexec; else TRTEXEC="$(command -v trtexec || true)"; fi
fi
if [[ -z "${CUDA_ARCHITECTURES:-}" ]]; then
  if [[ "$arch" == aarch64 ]]; then
    CUDA_ARCHITECTURES=87
  else
    CUDA_ARCHITECTURES="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n 1 | tr -d '. ' || true)"
    CUDA_ARCHITECTURES="${CUDA_ARCHITECTURES:-75;80;86;87;89;90}"
  fi
fi
export LD_LIBRARY_PATH="$TRT_LIB_DIR:$CUDA_HOME/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# A missing tool fails the run with exit 4; in a dry run it is only reported.
need() {
  local what="$1" hint="$2"
  if ((dry_run)); then say "dry run: $what is missing here ($hint)"; return 0; fi
  die 4 "$what is missing: $hint"
}

((dry_run)) || mkdir -p "$out"
say "bundle $bundle -> $out"

# --- 1. bundle files -----------------------------------------------------------------------------------------------
command -v "$PYTHON" >/dev/null || need "$PYTHON" "install python3 (and python3-numpy)"
if command -v "$PYTHON" >/dev/null; then
  set +e
  run "$PYTHON" "$bundle/scripts/validate_plan.py" --bundle "$bundle" --check-files
  status=$?
  set -e
  ((status == 0)) || die "$status" "the bundle's files do not match manifest.json (status $status)"
fi

# --- 2. plugin -----------------------------------------------------------------------------------------------------
plugin_lib=""
if ((uses_plugin)); then
  if [[ -n "${SRD_PLUGIN_LIB:-}" ]]; then
    plugin_lib="$SRD_PLUGIN_LIB"
    [[ -f "$plugin_lib" ]] || ((dry_run)) || die 4 "SRD_PLUGIN_LIB=$plugin_lib does not exist"
    say "using the plugin library $plugin_lib (SRD_PLUGIN_LIB)"
  else
    command -v cmake >/dev/null || need cmake "JetPack/Ubuntu: sudo apt install cmake"
    [[ -f "$TRT_INCLUDE_DIR/NvInferRuntime.h" ]] || need "TensorRT's headers (NvInferRuntime.h in $TRT_INCLUDE_DIR)" "JetPack: sudo apt install libnvinfer-dev, or set TRT_INCLUDE_DIR"
    [[ -x "$CUDA_HOME/bin/nvcc" ]] || need "nvcc ($CUDA_HOME/bin/nvcc)" "install the CUDA toolkit (JetPack: nvidia-jetpack) or set CUDA_HOME"
    say "building the plugin for compute capability $CUDA_ARCHITECTURES against $TRT_INCLUDE_DIR"
    run cmake -S "$bundle/plugin/source" -B "$out/plugin-build" -DCMAKE_BUILD_TYPE=Release \
      "-DTRT_INCLUDE_DIR=$TRT_INCLUDE_DIR" "-DCMAKE_CUDA_COMPILER=$CUDA_HOME/bin/nvcc" \
      "-DCMAKE_CUDA_ARCHITECTURES=$CUDA_ARCHITECTURES" || die 5 "configuring the plugin failed"
    run cmake --build "$out/plugin-build" --parallel || die 5 "building the plugin failed"
    run cp "$out/plugin-build/$plugin_library_name" "$out/$plugin_library_name"
    plugin_lib="$out/$plugin_library_name"
  fi
fi

# --- 3. plan -------------------------------------------------------------------------------------------------------
# The arguments below are the manifest's build.trtexec_arguments (tensorrt.md-style trtexec flags).
if [[ -z "$plan" ]]; then
  [[ -n "$TRTEXEC" ]] || need trtexec "JetPack: sudo apt install tensorrt (it is /usr/src/tensorrt/bin/trtexec), or set TRTEXEC"
  trtexec_args=(
@@TRTEXEC_ARGS@@
  )
  if [[ -n "$plugin_lib" ]]; then
    trtexec_args+=("--dynamicPlugins=$plugin_lib")
@@SERIALIZE_PLUGIN@@
  fi
  # shellcheck disable=SC2206 # TRTEXEC_EXTRA_ARGS is a list of words on purpose
  extra=(${TRTEXEC_EXTRA_ARGS:-})
  say "building $out/$name.plan with trtexec (log: $out/trtexec.log)"
  if ((dry_run)); then
    run "${TRTEXEC:-trtexec}" "${trtexec_args[@]}" "${extra[@]}"
  else
    set +e
    run "$TRTEXEC" "${trtexec_args[@]}" "${extra[@]}" >"$out/trtexec.log" 2>&1
    status=$?
    set -e
    if ((status != 0)); then
      tail -n 20 "$out/trtexec.log" >&2
      die 5 "trtexec failed (status $status); full log: $out/trtexec.log"
    fi
  fi
  plan="$out/$name.plan"
fi

# --- 4. validation -------------------------------------------------------------------------------------------------
if ((validate)); then
  "$PYTHON" -c 'import tensorrt, numpy' 2>/dev/null || need "the tensorrt or numpy Python module" "JetPack: sudo apt install python3-libnvinfer python3-numpy"
  say "validating $plan against the reference outputs"
  validator=("$PYTHON" "$bundle/scripts/validate_plan.py" --bundle "$bundle" --plan "$plan" --json "$out/validation.json")
  if [[ -n "$plugin_lib" ]]; then validator+=(--plugin "$plugin_lib"); fi
  set +e
  run "${validator[@]}"
  status=$?
  set -e
  if ((status != 0)); then
    die "$status" "the plan did not pass validation (status $status); results: $out/validation.json"
  fi
fi

say "done: plan $plan${plugin_lib:+, plugin $plugin_lib}"
