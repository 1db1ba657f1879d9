"""Shared ONNX export settings for the default model and the fixtures (opset 17, dynamic N/H/W, fixed names)."""

import collections
import io
import os
import tempfile
import warnings

import onnx
import torch

# torch 1.13's exporter warns about its own prim::Constant nodes and unfoldable strided Slices;
# neither affects the graphs.
warnings.filterwarnings("ignore", message="The shape inference of prim::Constant type is missing")
warnings.filterwarnings("ignore", message="Constant folding - Only steps=1")

OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "output"


def export_onnx(model, path, sample_hw=(32, 32), dynamic=True, output_names=(OUTPUT_NAME,), output_axes=None):
    """Traces `model` on a 1x3xHxW sample and writes an opset-17 ONNX file atomically (temp file + rename).

    dynamic=True marks input dims 0/2/3 as N/H/W and output dims 0/2/3 as N/H_out/W_out (or `output_axes`, a dict
    output name -> {axis: name}); dynamic=False bakes every shape (used only for the static-reshape lint fixture).
    Returns the loaded, checked onnx.ModelProto."""
    model = model.eval()
    sample = torch.rand(1, 3, sample_hw[0], sample_hw[1], generator=torch.Generator().manual_seed(0))
    dynamic_axes = None
    if dynamic:
        dynamic_axes = {INPUT_NAME: {0: "N", 2: "H", 3: "W"}}
        if output_axes is None:
            output_axes = {name: {0: "N", 2: "H_out", 3: "W_out"} for name in output_names}
        dynamic_axes.update(output_axes)
    buffer = io.BytesIO()
    with torch.no_grad():
        results = model(sample)
        torch.onnx.export(model, sample, buffer, opset_version=OPSET, input_names=[INPUT_NAME],
                          output_names=list(output_names), dynamic_axes=dynamic_axes, do_constant_folding=True)
    proto = onnx.load_from_string(buffer.getvalue())
    # The exporter names dims it could not infer after itself (e.g. "Sliceoutput_dim_1"); declare the fixed ones (the
    # channel count) from the traced run so consumers see [N, 3, H_out, W_out].
    results = results if isinstance(results, (tuple, list)) else (results,)
    for value, result in zip(proto.graph.output, results):
        named = (dynamic_axes or {}).get(value.name, {})
        for axis, dim in enumerate(value.type.tensor_type.shape.dim):
            if axis not in named:
                dim.Clear()
                dim.dim_value = result.shape[axis]
    onnx.checker.check_model(proto)
    save_atomically(proto, path)
    return proto


def save_atomically(proto, path):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temp_path = tempfile.mkstemp(prefix=".tmp-", suffix=".onnx", dir=directory)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(temp_path, 0o666 & ~umask)  # mkstemp creates 0600; the result is an ordinary shared file
        with os.fdopen(handle, "wb") as stream:
            stream.write(proto.SerializeToString())
        os.replace(temp_path, path)
    except BaseException:
        if os.path.exists(temp_path):
            os.remove(temp_path)
        raise


def declare_dynamic_input(proto, dims=("N", None, "H", "W")):
    """Rewrites the graph input's declared shape to symbolic dims (None keeps the value) without touching the graph."""
    shape = proto.graph.input[0].type.tensor_type.shape
    for dim, name in zip(shape.dim, dims):
        if name is not None:
            dim.Clear()
            dim.dim_param = name
    return proto


def op_histogram(proto):
    return collections.Counter(node.op_type for node in proto.graph.node)


def count_softmax_attention(proto):
    """Counts Softmax nodes fed (through Mul/Div/Add/Reshape) by a MatMul and feeding a MatMul: a quick structural
    check of the attention blocks, not the project's fusion matcher."""
    producers = {out: node for node in proto.graph.node for out in node.output}
    consumers = collections.defaultdict(list)
    for node in proto.graph.node:
        for name in node.input:
            consumers[name].append(node)
    count = 0
    for node in proto.graph.node:
        if node.op_type != "Softmax":
            continue
        source = producers.get(node.input[0])
        while source is not None and source.op_type in ("Mul", "Div", "Add", "Reshape"):
            source = producers.get(source.input[0])
        users = list(consumers[node.output[0]])
        users += [u for t in users if t.op_type == "Transpose" for u in consumers[t.output[0]]]
        feeds_matmul = any(u.op_type == "MatMul" for u in users)
        if source is not None and source.op_type == "MatMul" and feeds_matmul:
            count += 1
    return count
