#!/usr/bin/env bash
# ONNX load + save benchmark (docs/performance.md, "ONNX load + save").
#
#   scripts/bench/onnx-io.sh [MODEL.onnx] [RUNS]
#
# Compares, side by side in one run, `srdeploy convert A -o B` (Release build) with the reference implementation,
# Debian's python3-onnx: `python3 -c "import onnx; onnx.save(onnx.load(A), B)"`; then the same with external data
# (threshold 1 KiB, one data file) on both sides. Times are hyperfine medians over RUNS runs (default 10, 2 warm-ups);
# peak RSS is the median of 5 runs under /usr/bin/time. Outputs are deleted before every run, so both sides write new
# files: replacing an existing file makes ext4 flush the new data at rename/close (auto_da_alloc), a file-system cost
# that would swamp the comparison on a busy disk. Without MODEL, a ~200 MB conv net is generated with
# models/export/export_fixtures.py --large (a PLKSR-style conv net with ~50 M random weights; needs torch). Needs: dotnet,
# hyperfine, /usr/bin/time, a python3 that imports onnx (and torch, to generate the model), e.g. PYTHON=/usr/bin/python3.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
runs="${2:-10}"
python="${PYTHON:-}"
if [[ -z "$python" ]]; then
  for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c "import onnx" 2>/dev/null; then python="$candidate"; break; fi
  done
fi
[[ -n "$python" ]] || { echo "no python3 with the onnx package (Debian: apt-get install python3-onnx); set PYTHON" >&2; exit 4; }
command -v hyperfine >/dev/null || { echo "hyperfine is not installed (Debian: apt-get install hyperfine)" >&2; exit 4; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time is not installed (Debian: apt-get install time)" >&2; exit 4; }

work="$(mktemp -d "${TMPDIR:-/tmp}/srd-onnx-io.XXXXXX")"
trap 'rm -rf "$work"' EXIT
if [[ $# -ge 1 ]]; then
  model="$(realpath "$1")"
else
  model="$work/large_plksr_200mb.onnx"
  echo "[bench] generating the ~200 MB model with models/export/export_fixtures.py --large" >&2
  "$python" "$repo/models/export/export_fixtures.py" --large "$work" --only-extra >&2
fi

echo "[bench] building the CLI (Release)" >&2
dotnet build "$repo/tools/SuperRes.Deploy.Cli/SuperRes.Deploy.Cli.csproj" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
cli=(dotnet "$repo/artifacts/bin/SuperRes.Deploy.Cli/release/srdeploy.dll")

size=$(stat -c %s "$model")
out="$work/out"
mkdir -p "$out"
cd "$work"
cs_inline="${cli[*]} convert $model -o $out/cs.onnx --quiet"
py_inline="$python -c \"import onnx; onnx.save(onnx.load('$model'), '$out/py.onnx')\""
cs_ext="${cli[*]} convert $model -o $out/cs_ext.onnx --external-data 1K --quiet"
py_ext="$python -c \"import onnx; onnx.save(onnx.load('$model'), '$out/py_ext.onnx', save_as_external_data=True, all_tensors_to_one_file=True, location='py_ext.onnx.data', size_threshold=1024)\""
clean="rm -f $out/cs.onnx $out/py.onnx $out/cs_ext.onnx $out/cs_ext.onnx.data $out/py_ext.onnx $out/py_ext.onnx.data"

hyperfine -N --warmup 2 --runs "$runs" --prepare "$clean" --export-json "$work/times.json" \
  -n "srdeploy convert" "$cs_inline" -n "python onnx" "$py_inline" \
  -n "srdeploy convert --external-data 1K" "$cs_ext" -n "python onnx, external data" "$py_ext" >&2

peak_rss_kb() { # median peak RSS (KiB) of 5 runs of a shell command line
  for _ in 1 2 3 4 5; do $clean; /usr/bin/time -f "%M" -o "$work/rss" bash -c "$1" >/dev/null 2>&1; cat "$work/rss"; done | sort -n | sed -n 3p
}
rss_cs=$(peak_rss_kb "$cs_inline"); rss_py=$(peak_rss_kb "$py_inline")
rss_cs_ext=$(peak_rss_kb "$cs_ext"); rss_py_ext=$(peak_rss_kb "$py_ext")
bash -c "$cs_inline" >/dev/null && bash -c "$py_inline" >/dev/null
cmp -s "$out/cs.onnx" "$out/py.onnx" && same="identical" || same="different"

"$python" - "$work/times.json" "$size" "$rss_cs" "$rss_py" "$rss_cs_ext" "$rss_py_ext" "$same" "$model" "$runs" <<'PY'
import json, sys
times, size, rss_cs, rss_py, rss_cs_ext, rss_py_ext, same, model, runs = sys.argv[1:]
size = int(size)
r = {x["command"]: x for x in json.load(open(times))["results"]}
med = {k: v["median"] for k, v in r.items()}
mb = lambda kb: int(kb) * 1024 / 1e6
print(f"model: {model} ({size / 1e6:.1f} MB), {runs} runs each (median), outputs byte-identical to python's: {same}")
print()
print("| command | median time | time vs python | peak RSS | peak RSS / file size |")
print("|---|---|---|---|---|")
rows = [("srdeploy convert", "python onnx", rss_cs), ("python onnx", "python onnx", rss_py),
        ("srdeploy convert --external-data 1K", "python onnx, external data", rss_cs_ext),
        ("python onnx, external data", "python onnx, external data", rss_py_ext)]
for name, ref, rss in rows:
    print(f"| {name} | {med[name]:.3f} s | {med[name] / med[ref]:.2f}x | {mb(rss):.0f} MB | {int(rss) * 1024 / size:.2f}x |")
PY
