#!/usr/bin/python3
"""Writes a ~200 MB ONNX model of realistic super-resolution structure for the ONNX load + save benchmark.

The graph is a PLKSR-like conv net (3x3 conv stem, blocks of conv 3x3 -> GELU (Erf form) -> conv 3x3 -> large-kernel
conv on a channel slice -> concat -> 1x1 conv -> residual add, then a conv to 3*s^2 channels and DepthToSpace), with
random float32 weights (incompressible, like trained ones) and a few small tensors in the typed protobuf fields
(int64_data, float_data) as exporters write them. Nothing here is read by the tests; the model is generated on demand
because it is far too large to commit.

Usage: /usr/bin/python3 scripts/bench/make-large-onnx.py OUT.onnx [--blocks N] [--dim C]
Needs Debian's python3-onnx and python3-numpy (/usr/bin/python3).
"""
import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--blocks", type=int, default=14, help="residual blocks (~14.4 MB of weights each at dim 256)")
    parser.add_argument("--dim", type=int, default=256, help="feature channels")
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    dim, scale = args.dim, args.scale
    split = dim // 4
    nodes, inits = [], []

    def weight(name, shape):
        fan_in = int(np.prod(shape[1:]))
        array = (rng.standard_normal(shape, dtype=np.float32) / np.sqrt(fan_in)).astype(np.float32)
        inits.append(numpy_helper.from_array(array, name))
        return name

    def conv(x, name, cin, cout, k, group=1):
        w = weight(f"{name}.weight", (cout, cin // group, k, k))
        b = weight(f"{name}.bias", (cout,))
        nodes.append(helper.make_node("Conv", [x, w, b], [name], name=name, pads=[k // 2] * 4, group=group,
                                      kernel_shape=[k, k]))
        return name

    # Small constants in the typed fields, as torch.onnx.export writes shape and scalar constants.
    inits.append(helper.make_tensor("sqrt_half", TensorProto.FLOAT, [], [0.7071067811865476]))
    inits.append(helper.make_tensor("one", TensorProto.FLOAT, [], [1.0]))
    inits.append(helper.make_tensor("half", TensorProto.FLOAT, [], [0.5]))
    inits.append(helper.make_tensor("split_sizes", TensorProto.INT64, [2], [split, dim - split]))

    def gelu(x, name):
        nodes.append(helper.make_node("Mul", [x, "sqrt_half"], [f"{name}.scaled"]))
        nodes.append(helper.make_node("Erf", [f"{name}.scaled"], [f"{name}.erf"]))
        nodes.append(helper.make_node("Add", [f"{name}.erf", "one"], [f"{name}.erf1"]))
        nodes.append(helper.make_node("Mul", [x, f"{name}.erf1"], [f"{name}.xe"]))
        nodes.append(helper.make_node("Mul", [f"{name}.xe", "half"], [name]))
        return name

    x = conv("input", "stem", 3, dim, 3)
    for i in range(args.blocks):
        p = f"blocks.{i}"
        h = conv(x, f"{p}.ccm.0", dim, dim * 2, 3)
        h = gelu(h, f"{p}.ccm.act")
        h = conv(h, f"{p}.ccm.2", dim * 2, dim, 3)
        nodes.append(helper.make_node("Split", [h, "split_sizes"], [f"{p}.lk_in", f"{p}.rest"], axis=1))
        lk = conv(f"{p}.lk_in", f"{p}.lk", split, split, 17)
        nodes.append(helper.make_node("Concat", [lk, f"{p}.rest"], [f"{p}.cat"], axis=1))
        h = conv(f"{p}.cat", f"{p}.proj", dim, dim, 1)
        nodes.append(helper.make_node("Add", [x, h], [f"{p}.out"]))
        x = f"{p}.out"
    x = conv(x, "to_img", dim, 3 * scale * scale, 3)
    nodes.append(helper.make_node("DepthToSpace", [x], ["output"], blocksize=scale, mode="CRD"))

    graph = helper.make_graph(
        nodes, "plksr_like_large",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "height", "width"])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, "height_x4", "width_x4"])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="superres-deploy-bench", opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, args.out)


if __name__ == "__main__":
    main()
