"""Writes PyTorch reference input/output pairs (.npy) for checking ONNX Runtime against PyTorch from C#.

Usage (Debian's python3):
    /usr/bin/python3 models/export/make_test_vectors.py --weights ../shared/models/DITN_Real_x4.pth \
        [--dataset tests/fixtures/datasets/Set5] [--out tests/fixtures/vectors] \
        [--ort-lib .deps/onnxruntime/libonnxruntime.so.1]

Files (float32, little endian, C order, .npy format version 1.0), each < 1 MB:
    ditn_real_x4.input.npy   [1,3,64,64]   RGB in [0,1]: baby.png LRbicx4, rows/cols 32..95
    ditn_real_x4.output.npy  [1,3,256,256] DITN-Real x4 with the published weights (PyTorch, fp32)
    <fixture>.input.npy      [1,3,32,32]   butterfly.png LRbicx4, rows/cols 16..47 (lint_data_dependent: rows 0-2 and
                                           27-31 set to black, so the crop is visible in its [1,3,96,128] output)
    <fixture>.output.npy     the fixture's PyTorch output ([1,3,32s,32s])
With --ort-lib (default: the library scripts/setup fetches, when present) each pair is also run through ONNX Runtime
and the largest difference printed, so a vector that does not describe the committed .onnx is caught here.
"""

import argparse
import os
import sys
import warnings

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_fixtures import REPO_ROOT, small_fixtures  # noqa: E402
from ort_ctypes import OrtRuntime, default_library_path  # noqa: E402
from sr_archs import DitnReal  # noqa: E402

warnings.filterwarnings("ignore", category=UserWarning)


def crop_as_input(path, top, left, size):
    with Image.open(path) as image:
        rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    patch = rgb[top:top + size, left:left + size]
    if patch.shape[:2] != (size, size):
        raise SystemExit(f"error: {path} is too small for a {size}x{size} crop at ({top}, {left})")
    return np.ascontiguousarray(patch.transpose(2, 0, 1)[None].astype(np.float32) / 255.0)


def save_npy(path, array):
    array = np.ascontiguousarray(array, dtype="<f4")
    np.save(path, array, allow_pickle=False)
    with open(path, "rb") as stream:
        header = stream.read(8)
    if header[6:8] != b"\x01\x00":
        raise SystemExit(f"error: {path} was written as .npy version {header[6]}.{header[7]}, expected 1.0")
    if os.path.getsize(path) >= 1 << 20:
        raise SystemExit(f"error: {path} is {os.path.getsize(path)} bytes, over 1 MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", required=True, help="the authors' DITN_Real_x4.pth")
    parser.add_argument("--dataset", default=os.path.join(REPO_ROOT, "tests", "fixtures", "datasets", "Set5"))
    parser.add_argument("--out", default=os.path.join(REPO_ROOT, "tests", "fixtures", "vectors"))
    parser.add_argument("--models", default=os.path.join(REPO_ROOT, "tests", "fixtures", "models"))
    parser.add_argument("--ort-lib", default=default_library_path(REPO_ROOT))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    runtime = OrtRuntime(args.ort_lib) if os.path.exists(args.ort_lib) else None

    default_model = DitnReal()
    default_model.load_state_dict(torch.load(args.weights, map_location="cpu", weights_only=True), strict=True)
    jobs = [("ditn_real_x4", default_model.eval(), os.path.join(REPO_ROOT, "models", "ditn_real_x4.onnx"),
             crop_as_input(os.path.join(args.dataset, "LRbicx4", "baby.png"), 32, 32, 64))]
    small_input = crop_as_input(os.path.join(args.dataset, "LRbicx4", "butterfly.png"), 16, 16, 32)
    for fixture in small_fixtures():
        x = small_input.copy()
        if fixture.kind == "data_dependent":
            x[:, :, :3] = 0.0
            x[:, :, 27:] = 0.0
        jobs.append((fixture.name, fixture.module, os.path.join(args.models, fixture.name + ".onnx"), x))

    for name, module, onnx_path, x in jobs:
        with torch.no_grad():
            y = module(torch.from_numpy(x.copy())).numpy()
        save_npy(os.path.join(args.out, f"{name}.input.npy"), x)
        save_npy(os.path.join(args.out, f"{name}.output.npy"), y)
        line = f"{name:26s} input {list(x.shape)} -> output {list(y.shape)}"
        if runtime is not None:
            with runtime.session(onnx_path) as session:
                actual = session.run({"input": x})[0]
            if actual.shape != y.shape:
                raise SystemExit(f"error: {name}: ONNX Runtime output {actual.shape} != PyTorch {y.shape}")
            line += f"  max |ORT - torch| {float(np.abs(actual - y).max()):.2e}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
