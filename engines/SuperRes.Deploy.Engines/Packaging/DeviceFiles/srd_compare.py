#!/usr/bin/env python3
"""Bundle checks and output comparison for a srdeploy deployment bundle (scripts/srd_compare.py).

Needs only the Python standard library and numpy, never TensorRT, so the comparison can be tested on any machine:
validate_plan.py runs the plan with TensorRT and hands its outputs to compare() here.

Comparison semantics are Polygraphy's (and srdeploy validate's): errors are computed in float32,
abs = |actual - expected|, rel = abs / |expected'| where expected' replaces exact zeros by 2**-52;
  elemwise: an element fails only if it exceeds BOTH atol and rtol (a NaN error exceeds any tolerance);
  max / mean / median / p99: the statistic of abs and of rel; fails if both exceed their tolerance (NaN fails).
Optional extra conditions: PSNR (peak = the value range's span) >= psnr_min, cosine similarity >= cosine_min.

Command line (also used by srdeploy's tests):
  srd_compare.py --check-files BUNDLE_DIR            sha256/size of every file against manifest.json (exit 0 or 3)
  srd_compare.py --compare ACTUAL.npy EXPECTED.npy --atol A --rtol R [--check elemwise] [--psnr-peak P]
                                                     prints the comparison as JSON (exit 0 pass, 1 fail)
"""

import argparse
import hashlib
import json
import math
import os
import sys

import numpy as np

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BAD_BUNDLE = 3
EXIT_MISSING = 4

SCHEMA = "srdeploy.bundle/1"
ZERO_REPLACEMENT = np.float32(2.220446049250313e-16)
CHECKS = ("elemwise", "max", "mean", "median", "p99")


class BundleError(Exception):
    """The bundle is damaged or incomplete (exit status 3)."""


def load_manifest(bundle_dir):
    """Reads manifest.json of an extracted bundle and checks its schema id."""
    path = os.path.join(bundle_dir, "manifest.json")
    try:
        with open(path, "rb") as f:
            manifest = json.loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        raise BundleError("%s: no manifest.json (is this an extracted srdeploy bundle?)" % bundle_dir)
    except (ValueError, UnicodeDecodeError) as e:
        raise BundleError("manifest.json is not valid JSON: %s" % e)
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA:
        raise BundleError("manifest.json: schema must be %s" % SCHEMA)
    return manifest


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def safe_join(bundle_dir, relative):
    """bundle_dir/relative, refusing absolute paths and '..' (the manifest is data, not trusted paths)."""
    parts = relative.split("/")
    if relative.startswith("/") or "\\" in relative or any(p in ("", ".", "..") for p in parts):
        raise BundleError("manifest path refused: %r" % relative)
    return os.path.join(bundle_dir, *parts)


def verify_files(bundle_dir, manifest):
    """One line per file that is missing, has another size or another sha256 than manifest.json says."""
    problems = []
    for entry in manifest.get("files", []):
        path = safe_join(bundle_dir, entry["path"])
        if not os.path.isfile(path):
            problems.append("%s: missing" % entry["path"])
            continue
        size = os.path.getsize(path)
        if size != entry["size"]:
            problems.append("%s: size %d bytes, the manifest says %d" % (entry["path"], size, entry["size"]))
        elif sha256_file(path) != entry["sha256"]:
            problems.append("%s: sha256 differs from the manifest" % entry["path"])
    return problems


def plugin_source_hash(bundle_dir, manifest):
    """sha256 over 'SHA256  RELPATH\\n' lines of the plugin source tree sorted by path (as srdeploy computes it)."""
    source = manifest["plugin"]["source_directory"].rstrip("/")
    prefix = source + "/"
    lines = []
    for entry in sorted((f for f in manifest["files"] if f["path"].startswith(prefix)), key=lambda f: f["path"].encode("utf-8")):
        lines.append("%s  %s\n" % (sha256_file(safe_join(bundle_dir, entry["path"])), entry["path"][len(prefix):]))
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def load_tensor(bundle_dir, tensor):
    """Loads one reference .npy and checks it against the manifest's dtype and shape."""
    path = safe_join(bundle_dir, tensor["file"])
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise BundleError("%s: cannot be read as .npy: %s" % (tensor["file"], e))
    if str(array.dtype) != tensor["dtype"] or list(array.shape) != list(tensor["shape"]):
        raise BundleError("%s: holds %s%s, the manifest says %s%s" % (
            tensor["file"], array.dtype, list(array.shape), tensor["dtype"], list(tensor["shape"])))
    return array


def reference_cases(manifest):
    return manifest["references"]["cases"]


def tolerance(manifest):
    """The pass condition the bundle was made with (the config's validation section)."""
    t = manifest["references"]["tolerance"]
    low, high = manifest["io"]["value_range"]
    return {
        "atol": float(t["atol"]),
        "rtol": float(t["rtol"]),
        "check": t["check"],
        "psnr_min": t.get("psnr_min"),
        "cosine_min": t.get("cosine_min"),
        "psnr_peak": float(high) - float(low),
    }


def _statistic(values, check):
    if check == "max":
        return float(np.max(values)) if values.size else 0.0
    if check == "mean":
        return float(np.mean(values)) if values.size else 0.0
    if check == "median":
        return float(np.median(values)) if values.size else 0.0
    if check == "p99":
        # numpy's default (linear) interpolation; the keyword is left out for numpy < 1.22 (JetPack 6 ships 1.21).
        return float(np.quantile(values, 0.99)) if values.size else 0.0
    raise ValueError("check must be one of %s, got %r" % (", ".join(CHECKS), check))


def _exceeds(value, limit):
    return math.isnan(value) or value > limit


def compare(actual, expected, atol, rtol, check="elemwise", psnr_min=None, cosine_min=None, psnr_peak=None):
    """Compares one output with its reference. Returns a dict: passed, reason, and the error statistics."""
    if check not in CHECKS:
        raise ValueError("check must be one of %s, got %r" % (", ".join(CHECKS), check))
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    result = {"shape": list(expected.shape), "count": int(expected.size), "check": check, "atol": atol, "rtol": rtol}
    if actual.shape != expected.shape:
        result.update(passed=False, reason="shape %s differs from the reference's %s" % (list(actual.shape), list(expected.shape)))
        return result

    a = actual.astype(np.float32).ravel()
    e = expected.astype(np.float32).ravel()
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        abs_err = np.abs(a - e)
        rel_err = abs_err / np.abs(np.where(e == 0, ZERO_REPLACEMENT, e))
        abs64 = abs_err.astype(np.float64)
        rel64 = rel_err.astype(np.float64)
        abs_nan = np.isnan(abs64)
        rel_nan = np.isnan(rel64)
        defined_abs = abs64[~abs_nan]
        defined_rel = rel64[~rel_nan]
        diff = a.astype(np.float64) - e.astype(np.float64)
        mse = float(np.mean(diff * diff)) if a.size else 0.0
        dot = float(np.dot(a.astype(np.float64), e.astype(np.float64)))
        aa = float(np.dot(a.astype(np.float64), a.astype(np.float64)))
        ee = float(np.dot(e.astype(np.float64), e.astype(np.float64)))

    result["max_abs"] = float(defined_abs.max()) if defined_abs.size else (float("nan") if a.size else 0.0)
    result["max_rel"] = float(defined_rel.max()) if defined_rel.size else (float("nan") if a.size else 0.0)
    result["mean_abs"] = float(defined_abs.mean()) if defined_abs.size else (float("nan") if a.size else 0.0)
    result["nan_errors"] = int(abs_nan.sum())

    if check == "elemwise":
        failing = (abs_nan | (abs64 > atol)) & (rel_nan | (rel64 > rtol))
        result["failing"] = int(failing.sum())
        passed = result["failing"] == 0
        reason = None if passed else "%d of %d elements exceed both atol=%g and rtol=%g (max abs %.6g, max rel %.6g)" % (
            result["failing"], a.size, atol, rtol, result["max_abs"], result["max_rel"])
    else:
        s_abs = float("nan") if abs_nan.any() else _statistic(abs64, check)
        s_rel = float("nan") if rel_nan.any() else _statistic(rel64, check)
        result["statistic_abs"] = s_abs
        result["statistic_rel"] = s_rel
        passed = not (_exceeds(s_abs, atol) and _exceeds(s_rel, rtol))
        reason = None if passed else "%s error abs=%.6g rel=%.6g exceeds atol=%g and rtol=%g" % (check, s_abs, s_rel, atol, rtol)

    finite = e[np.isfinite(e)]
    if psnr_peak is None:
        span = float(finite.max() - finite.min()) if finite.size else float("nan")
        psnr_peak = span if span > 0 or math.isnan(span) else 1.0
    if mse == 0:
        psnr = float("inf")
    elif math.isnan(mse) or math.isnan(psnr_peak):
        psnr = float("nan")
    else:
        psnr = 10.0 * math.log10(psnr_peak * psnr_peak / mse)
    result["psnr_db"] = psnr
    if aa == 0 and ee == 0:
        cosine = 1.0
    elif aa == 0 or ee == 0:
        cosine = 0.0
    else:
        cosine = dot / (math.sqrt(aa) * math.sqrt(ee))
    result["cosine"] = cosine

    if passed and psnr_min is not None and not (psnr >= psnr_min):
        passed, reason = False, "PSNR %.2f dB is below psnr_min %g" % (psnr, psnr_min)
    if passed and cosine_min is not None and not (cosine >= cosine_min):
        passed, reason = False, "cosine similarity %.6f is below cosine_min %g" % (cosine, cosine_min)
    result["passed"] = bool(passed)
    result["reason"] = reason
    return result


def describe(result):
    """One line for a comparison result."""
    if "max_abs" not in result:
        return "FAILED: %s" % result["reason"]
    verdict = "PASSED" if result["passed"] else "FAILED"
    line = "%s %s: max abs %.3g, max rel %.3g, PSNR %s, cosine %.6f" % (
        verdict, result["check"], result["max_abs"], result["max_rel"],
        "inf" if math.isinf(result["psnr_db"]) else "%.2f dB" % result["psnr_db"], result["cosine"])
    if not result["passed"]:
        line += " -- " + result["reason"]
    return line


def _json_safe(value):
    """JSON has no inf/nan: write them as strings."""
    if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def to_json(value):
    return json.dumps(_json_safe(value), indent=2, sort_keys=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check-files", metavar="BUNDLE_DIR")
    parser.add_argument("--compare", nargs=2, metavar=("ACTUAL", "EXPECTED"))
    parser.add_argument("--atol", type=float, default=1e-5)
    parser.add_argument("--rtol", type=float, default=1e-5)
    parser.add_argument("--check", default="elemwise", choices=CHECKS)
    parser.add_argument("--psnr-peak", type=float)
    parser.add_argument("--psnr-min", type=float)
    parser.add_argument("--cosine-min", type=float)
    args = parser.parse_args(argv)
    if args.check_files:
        try:
            manifest = load_manifest(args.check_files)
            problems = verify_files(args.check_files, manifest)
        except BundleError as e:
            print("bundle damaged: %s" % e, file=sys.stderr)
            return EXIT_BAD_BUNDLE
        for problem in problems:
            print("bundle damaged: %s" % problem, file=sys.stderr)
        if problems:
            return EXIT_BAD_BUNDLE
        print("bundle files: %d checked, all match manifest.json" % len(manifest["files"]))
        return EXIT_OK
    if args.compare:
        actual = np.load(args.compare[0], allow_pickle=False)
        expected = np.load(args.compare[1], allow_pickle=False)
        result = compare(actual, expected, args.atol, args.rtol, args.check, args.psnr_min, args.cosine_min, args.psnr_peak)
        print(to_json(result))
        return EXIT_OK if result["passed"] else EXIT_FAILED
    parser.print_usage(sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
