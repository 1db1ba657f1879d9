#!/usr/bin/env bash
# Validation overhead of a whole `srdeploy validate` process (docs/performance.md, "Validation overhead").
#
#   scripts/bench/validate-overhead.sh [SIZE] [RUNS]
#
# Runs the Release CLI RUNS times (default 5) on the default model against itself at input 1x3xSIZExSIZE (default 256),
# each a fresh process (so JIT warm-up is included, as a user sees it), and reads the report's own timings
# (validation.json timingsMs: the two ONNX Runtime runs, and the overhead = inputs + comparison + previews + reports).
# Prints each run and the medians. The in-process, warmed-up counterpart is
# `dotnet run -c Release --project tests/SuperRes.Deploy.Benchmarks -- validate --size SIZE --runs RUNS`.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
size="${1:-256}"
runs="${2:-5}"
work="$(mktemp -d "${TMPDIR:-/tmp}/srd-validate-overhead.XXXXXX")"
trap 'rm -rf "$work"' EXIT
dotnet build "$repo/tools/SuperRes.Deploy.Cli/SuperRes.Deploy.Cli.csproj" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
for ((i = 1; i <= runs; i++)); do
  dotnet "$repo/artifacts/bin/SuperRes.Deploy.Cli/release/srdeploy.dll" validate --quiet \
    --reference "$repo/models/ditn_real_x4.onnx" --candidate "$repo/models/ditn_real_x4.onnx" \
    --shape "input:1x3x${size}x${size}" --report-dir "$work/run$i" >/dev/null
done
python3 - "$work" "$runs" "$size" <<'PY'
import json, statistics, sys
work, runs, size = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = []
for i in range(1, runs + 1):
    t = json.load(open(f"{work}/run{i}/validation.json"))["timingsMs"]
    rows.append(t)
    print(f"run {i}: reference {t['referenceRun']:.0f} ms, candidate {t['candidateRun']:.0f} ms, inputs {t['inputs']:.1f} ms, "
          f"compare {t['compare']:.1f} ms, previews {t['preview']:.1f} ms, reports {t['report']:.1f} ms "
          f"-> overhead {t['overhead']:.0f} ms = {100 * t['overheadFraction']:.2f} %")
med = lambda k: statistics.median(r[k] for r in rows)
print(f"medians at input {size}x{size}, {runs} processes: reference {med('referenceRun'):.0f} ms, candidate {med('candidateRun'):.0f} ms, "
      f"inputs {med('inputs'):.1f} ms, compare {med('compare'):.1f} ms, previews {med('preview'):.1f} ms, reports {med('report'):.1f} ms, "
      f"overhead {med('overhead'):.0f} ms, overhead fraction {100 * med('overheadFraction'):.2f} %")
PY
