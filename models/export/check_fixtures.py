"""Checks the exported fixtures: onnx.checker, the attention count, and ONNX Runtime against PyTorch at several sizes.

Usage (Debian's python3; ONNX Runtime's native library as fetched by scripts/setup):
    /usr/bin/python3 models/export/check_fixtures.py [--dir tests/fixtures/models] \
        [--ort-lib .deps/onnxruntime/libonnxruntime.so.1] [--weights ../shared/models/DITN_Real_x4.pth]

Dynamic fixtures must match PyTorch at 32x32, 40x56 and 17x23 with batch 2 (sizes that are not multiples of the
windows/patches). The lint fixtures must behave as designed: lint_static_reshape and lint_shape_contradiction run at
32x32 only and fail at 40x56; lint_data_dependent's output height follows the data. With --weights the default model
(models/ditn_real_x4.onnx) is checked too. Exit code 0 when every check passes, 1 otherwise.
"""

import argparse
import os
import sys
import warnings

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_common import count_softmax_attention, op_histogram  # noqa: E402
from export_fixtures import REPO_ROOT, small_fixtures  # noqa: E402
from ort_ctypes import OrtError, OrtRuntime, default_library_path  # noqa: E402
from sr_archs import DitnReal, count_parameters  # noqa: E402

warnings.filterwarnings("ignore", category=UserWarning)

DYNAMIC_SIZES = [(32, 32), (40, 56), (17, 23)]
TOLERANCE = 5e-4  # absolute, outputs are O(1); fp32 DITN-Real itself differs from fp64 by ~1e-4


def letterboxed(batch, hw, seed):
    """Random content with 3 black rows at the top and 5 at the bottom (for the data-dependent crop)."""
    x = torch.rand(batch, 3, *hw, generator=torch.Generator().manual_seed(seed)) * 0.9 + 0.1
    x[:, :, :3] = 0
    x[:, :, hw[0] - 5:] = 0
    return x


class Checker:
    def __init__(self, runtime):
        self.runtime = runtime
        self.failures = []

    def expect(self, condition, message):
        print(("  ok    " if condition else "  FAIL  ") + message)
        if not condition:
            self.failures.append(message)

    def compare(self, session, module, x, label):
        with torch.no_grad():
            expected = module(x.clone()).numpy()
        actual = session.run({"input": x.numpy()})[0]
        if actual.shape != expected.shape:
            self.expect(False, f"{label}: ORT shape {actual.shape} != torch {expected.shape}")
            return
        diff = float(np.abs(actual - expected).max())
        self.expect(diff <= TOLERANCE, f"{label}: shape {actual.shape}, max |ORT - torch| = {diff:.2e}")

    def expect_failure(self, session, x, label):
        try:
            out = session.run({"input": x.numpy()})[0]
            self.expect(False, f"{label}: ran (output {out.shape}) although it should not")
        except OrtError as error:
            self.expect(True, f"{label}: ORT refuses as designed ({str(error).splitlines()[0][:110]})")

    def check(self, name, path, module, expected_attention, kind="dynamic"):
        print(f"{name}: {os.path.getsize(path):,} B, {count_parameters(module):,} params")
        proto = onnx.load(path)
        onnx.checker.check_model(proto)
        found = count_softmax_attention(proto)
        self.expect(found == expected_attention, f"attention blocks {found} (expected {expected_attention})")
        print("        ops:", dict(sorted(op_histogram(proto).items())))
        if self.runtime is None:
            with torch.no_grad():
                module(torch.rand(1, 3, 32, 32))
            return
        with self.runtime.session(path) as session:
            if kind == "dynamic":
                for i, hw in enumerate(DYNAMIC_SIZES):
                    x = torch.rand(2, 3, *hw, generator=torch.Generator().manual_seed(100 + i))
                    self.compare(session, module, x, f"{hw[0]}x{hw[1]} batch 2")
            elif kind in ("static_declared_dynamic", "fixed_size"):
                self.compare(session, module, torch.rand(1, 3, 32, 32), "32x32 (the export size)")
                self.expect_failure(session, torch.rand(1, 3, 40, 56), "40x56")
            elif kind == "data_dependent":
                for i, hw in enumerate([(32, 32), (40, 56)]):
                    x = letterboxed(1, hw, 200 + i)
                    self.compare(session, module, x, f"{hw[0]}x{hw[1]} with 8 black rows")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", default=os.path.join(REPO_ROOT, "tests", "fixtures", "models"))
    parser.add_argument("--ort-lib", default=default_library_path(REPO_ROOT))
    parser.add_argument("--weights", help="the authors' DITN_Real_x4.pth, to check models/ditn_real_x4.onnx too")
    args = parser.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    runtime = None
    if os.path.exists(args.ort_lib):
        runtime = OrtRuntime(args.ort_lib)
    else:
        print(f"note: {args.ort_lib} not found (run scripts/setup); checking graphs and torch only")
    checker = Checker(runtime)
    for fixture in small_fixtures():
        kind = fixture.kind
        if fixture.name == "lint_shape_contradiction":
            kind = "fixed_size"
        checker.check(fixture.name, os.path.join(args.dir, fixture.name + ".onnx"), fixture.module,
                      fixture.attention_blocks, kind)
    if args.weights:
        model = DitnReal()
        model.load_state_dict(torch.load(args.weights, map_location="cpu", weights_only=True), strict=True)
        checker.check("ditn_real_x4 (default model)", os.path.join(REPO_ROOT, "models", "ditn_real_x4.onnx"),
                      model.eval(), 4)
    print(f"{len(checker.failures)} failure(s)")
    return 1 if checker.failures else 0


if __name__ == "__main__":
    sys.exit(main())
