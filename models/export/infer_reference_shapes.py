"""Writes ONNX's own shape inference at a fixed 1x3x256x256 input as reference data for the C# symbolic inference.

Usage (Debian's python3, onnx 1.12):
    /usr/bin/python3 models/export/infer_reference_shapes.py [--dir tests/fixtures/models] [--size 256]

For every <name>.onnx in --dir, and for models/ditn_real_x4.onnx (written as ditn_real_x4.shapes-256.json in --dir),
a copy is made whose input is fixed to 1x3xSxS and whose outputs and value_info carry no shapes; then
onnx.shape_inference.infer_shapes(model, data_prop=True) runs and <name>.shapes-S.json gets
{value name: [dim, ...]} for every graph input, output and value_info entry, sorted by name. A dim is an int, or null
where ONNX could not infer it (a symbolic dim counts as unknown: the input is static, so only data-dependent sizes stay
symbolic); the whole entry is null where not even the rank is known. Models on which ONNX's inference stops with an
error (the lint fixtures whose shapes contradict at this size) get the partial result of non-strict inference and an
"__errors__" entry with the first line of the error from strict mode.

ONNX 1.12's data propagation stops at many shape computations (Mod, dynamic Pad amounts, ...), so a good share of the
values stays unknown above. With ONNX Runtime's native library present (--ort-lib, default: the one scripts/setup
fetches), <name>.runtime-shapes-R.json is written as well (R = --runtime-size, default 64): the actual shape of every
node output when ONNX Runtime runs the model (optimisations off, every value made a graph output) on a seeded random
1x3xRxR input. These are ground truth at that size; a model that cannot run at that size gets only "__errors__".
R is smaller than 256 because some fixtures' attention matrices would not fit in memory at 256x256 (ESRT-style:
8 x 4 x 16384^2 floats).
"""

import argparse
import glob
import json
import os
import sys
import tempfile

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ort_ctypes import OrtError, OrtRuntime, default_library_path  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def static_copy(model, size):
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    graph = copy.graph
    dims = graph.input[0].type.tensor_type.shape.dim
    for dim, value in zip(dims, (1, 3, size, size)):
        dim.Clear()
        dim.dim_value = value
    for output in graph.output:
        output.type.tensor_type.ClearField("shape")
    del graph.value_info[:]
    return copy


def dims_of(value):
    tensor_type = value.type.tensor_type
    if not tensor_type.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") else None for d in tensor_type.shape.dim]


def reference_shapes(model, size):
    static = static_copy(model, size)
    errors = []
    try:
        inferred = onnx.shape_inference.infer_shapes(static, strict_mode=True, data_prop=True)
    except Exception as error:  # onnx raises InferenceError or RuntimeError depending on where it stops
        errors.append(str(error).strip().splitlines()[0])
        inferred = onnx.shape_inference.infer_shapes(static, strict_mode=False, data_prop=True)
    graph = inferred.graph
    shapes = {}
    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        shapes[value.name] = dims_of(value)
    result = dict(sorted(shapes.items()))
    if errors:
        result["__errors__"] = errors
    return result


def runtime_shapes(model, size, runtime):
    """Actual shapes of every node output from an ONNX Runtime run at 1x3xSxS with all values exposed as outputs."""
    static = static_copy(model, size)
    typed = onnx.shape_inference.infer_shapes(static, strict_mode=False, data_prop=True)
    typed_values = list(typed.graph.value_info) + list(typed.graph.output)
    element_types = {v.name: v.type.tensor_type.elem_type for v in typed_values}
    existing = {o.name for o in static.graph.output}
    names = [o.name for o in static.graph.output]
    for node in static.graph.node:
        for name in node.output:
            if name and name not in existing and element_types.get(name):
                static.graph.output.append(onnx.helper.make_tensor_value_info(name, element_types[name], None))
                existing.add(name)
                names.append(name)
    handle, path = tempfile.mkstemp(suffix=".onnx")
    os.close(handle)
    try:
        onnx.save(static, path)
        x = np.random.default_rng(0).random((1, 3, size, size), dtype=np.float32)
        with runtime.session(path, optimization_level=0) as session:
            shapes = session.run({"input": x}, shapes_only=True)
            names = session.output_names
    except OrtError as error:
        return {"__errors__": [str(error).strip().splitlines()[0]]}
    finally:
        os.remove(path)
    result = {"input": [1, 3, size, size]}
    result.update({name: list(shape) for name, shape in zip(names, shapes)})
    return dict(sorted(result.items()))


def write_json(path, shapes):
    """One entry per line, in the given order, so diffs between regenerations stay readable."""
    lines = [f"  {json.dumps(name)}: {json.dumps(dims)}" for name, dims in shapes.items()]
    text = "{\n" + ",\n".join(lines) + "\n}\n"
    temp = path + ".tmp"
    with open(temp, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", default=os.path.join(REPO_ROOT, "tests", "fixtures", "models"))
    parser.add_argument("--default-model", default=os.path.join(REPO_ROOT, "models", "ditn_real_x4.onnx"))
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--runtime-size", type=int, default=64)
    parser.add_argument("--ort-lib", default=default_library_path(REPO_ROOT))
    args = parser.parse_args()
    runtime = OrtRuntime(args.ort_lib) if os.path.exists(args.ort_lib) else None
    if runtime is None:
        print(f"note: {args.ort_lib} not found (run scripts/setup); runtime shapes are not written")
    paths = sorted(glob.glob(os.path.join(args.dir, "*.onnx")))
    if os.path.exists(args.default_model):
        paths.append(args.default_model)
    for path in paths:
        name = os.path.splitext(os.path.basename(path))[0]
        shapes = reference_shapes(onnx.load(path), args.size)
        out = os.path.join(args.dir, f"{name}.shapes-{args.size}.json")
        write_json(out, shapes)
        values = {k: v for k, v in shapes.items() if k != "__errors__"}
        unknown = sum(1 for v in values.values() if v is None or any(d is None for d in v))
        note = f"  errors: {shapes['__errors__']}" if "__errors__" in shapes else ""
        print(f"{name:26s} {len(values):5d} values, {unknown:4d} not fully known{note}")
        if runtime is not None:
            actual = runtime_shapes(onnx.load(path), args.runtime_size, runtime)
            write_json(os.path.join(args.dir, f"{name}.runtime-shapes-{args.runtime_size}.json"), actual)
            note = f"  errors: {actual['__errors__']}" if "__errors__" in actual else ""
            print(f"{'':26s} runtime at {args.runtime_size}: {len(actual) - ('__errors__' in actual)} values{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
