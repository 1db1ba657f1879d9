#!/usr/bin/env bash
# Upscale peak memory vs image size (docs/performance.md, "Upscale peak memory vs image size").
#
#   scripts/bench/upscale-memory.sh [--model MODEL.onnx] [--sizes "1024 2048 4096"] [--tile 256] [--threads 2]
#                                   [--source IMAGE.png] [--band-memory MiB] [--work DIR] [--keep]
#
# Makes SIZE×SIZE inputs from a real photograph (default: Set5 GTmod12 baby, mirrored out to the size; generated, never
# committed), then runs the Release `srdeploy upscale` on each at the same tile size under /usr/bin/time -v, one after
# the other in this one run, and prints a Markdown table: input, output, tiles, wall time, peak RSS ("Maximum resident
# set size") and its ratio to the first size's. Default model: the plain_sr fixture (fast; its ONNX Runtime working set
# is small, so the image-dependent buffers show). Needs: dotnet, /usr/bin/time.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
model="$repo/tests/fixtures/models/plain_sr.onnx"
sizes="1024 2048 4096"
tile=256
threads=2
source="$repo/tests/fixtures/datasets/Set5/GTmod12/baby.png"
work=""
keep=0
band=16
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) model="$(realpath "$2")"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --tile) tile="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --source) source="$(realpath "$2")"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --band-memory) band="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time is not installed (Debian: apt-get install time)" >&2; exit 4; }
if [[ -z "$work" ]]; then
  work="$(mktemp -d "${TMPDIR:-/tmp}/srd-upscale-mem.XXXXXX")"
  [[ $keep == 1 ]] || trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"

cd "$repo"
dotnet build -c Release tools/SuperRes.Deploy.Cli -v q -nologo >/dev/null
dotnet build -c Release tests/SuperRes.Deploy.Benchmarks -v q -nologo >/dev/null
srdeploy="$repo/artifacts/bin/SuperRes.Deploy.Cli/release/srdeploy"
bench="$repo/artifacts/bin/SuperRes.Deploy.Benchmarks/release/SuperRes.Deploy.Benchmarks.dll"

echo "model $(basename "$model"), tile $tile, overlap default, --band-memory $band MiB, $threads ONNX Runtime threads; $(nproc) CPUs; $(uname -sr)"
echo
echo "| input | output | tiles | wall (s) | peak RSS (MiB) | ratio to first |"
echo "|---|---|---|---|---|---|"
first=""
for size in $sizes; do
  input="$work/in_${size}.png"
  [[ -f "$input" ]] || dotnet "$bench" make-image "$source" "$size" "$input" >/dev/null
  output="$work/out_${size}.png"
  rm -f "$output"
  /usr/bin/time -v "$srdeploy" upscale "$input" -o "$output" --model "$model" --tile "$tile" --threads "$threads" --band-memory "$band" --quiet \
    >"$work/stdout_${size}.txt" 2>"$work/time_${size}.txt" || { cat "$work/time_${size}.txt" >&2; exit 1; }
  rss_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time_${size}.txt")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time_${size}.txt" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
  tiles=$(sed -n 's/.*, \([0-9]* tiles\{0,1\} of [0-9]*×[0-9]*\),.*/\1/p' "$work/stdout_${size}.txt")
  outsize=$(sed -n 's/.*(\([0-9]*×[0-9]*\),.*/\1/p' "$work/stdout_${size}.txt")
  [[ -n "$first" ]] || first="$rss_kib"
  awk -v s="$size" -v o="$outsize" -v t="$tiles" -v w="$wall" -v r="$rss_kib" -v f="$first" \
    'BEGIN { printf "| %d×%d | %s | %s | %.1f | %.0f | %.2f |\n", s, s, o, t, w, r / 1024, r / f }'
done
