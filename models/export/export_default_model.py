"""Exports the project's default model: DITN-Real x4 with the authors' published weights, opset 17, dynamic N/H/W.

Usage (Debian's python3, which has torch and onnx):
    /usr/bin/python3 models/export/export_default_model.py --weights ../shared/models/DITN_Real_x4.pth \
        --out models/ditn_real_x4.onnx

--weights is the authors' checkpoint (yongliuy/DITN, commit 98352a8, checkpoints/DITN_Real_x4.pth; Apache-2.0, see
models/NOTICE.md). It is loaded with weights_only=True into sr_archs.DitnReal with strict=True, so a checkpoint whose
parameter names or shapes differ is refused.
"""

import argparse
import hashlib
import os
import sys

import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_common import count_softmax_attention, export_onnx, op_histogram, save_atomically  # noqa: E402
from sr_archs import DitnReal, count_parameters  # noqa: E402

EXPECTED_SHA256 = "989dc21e2379c6924a6bd32696df0f1fa8cfd43dd557e1ae4126b97708695b5a"
EXPECTED_PARAMETERS = 444_112


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", required=True, help="the authors' DITN_Real_x4.pth")
    parser.add_argument("--out", default="models/ditn_real_x4.onnx")
    parser.add_argument("--allow-other-weights", action="store_true",
                        help="accept a checkpoint whose sha256 differs from the published DITN_Real_x4.pth")
    args = parser.parse_args()

    digest = sha256_of(args.weights)
    if digest != EXPECTED_SHA256 and not args.allow_other_weights:
        print(f"error: {args.weights} has sha256 {digest}, not the published DITN_Real_x4.pth "
              f"({EXPECTED_SHA256}); pass --allow-other-weights to export it anyway", file=sys.stderr)
        return 3
    model = DitnReal()
    model.load_state_dict(torch.load(args.weights, map_location="cpu", weights_only=True), strict=True)
    if count_parameters(model) != EXPECTED_PARAMETERS:
        print(f"error: {count_parameters(model)} parameters, expected {EXPECTED_PARAMETERS}", file=sys.stderr)
        return 3
    proto = export_onnx(model, args.out, sample_hw=(64, 64))
    proto.doc_string = ("DITN-Real x4 (Liu et al., ACM MM 2023), weights from yongliuy/DITN commit 98352a8 "
                        "checkpoints/DITN_Real_x4.pth, Apache-2.0; see models/NOTICE.md")
    onnx.checker.check_model(proto)
    save_atomically(proto, args.out)
    print(f"wrote {args.out}: {os.path.getsize(args.out)} bytes, {count_parameters(model)} parameters, "
          f"{count_softmax_attention(proto)} attention blocks")
    print("ops:", dict(sorted(op_histogram(proto).items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
