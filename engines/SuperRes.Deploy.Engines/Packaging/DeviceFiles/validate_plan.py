#!/usr/bin/env python3
"""Validates a TensorRT plan against the reference outputs shipped in a srdeploy bundle (scripts/validate_plan.py).

Runs every reference case of manifest.json through the plan with the TensorRT Python module (as JetPack ships it:
python3-libnvinfer) and numpy, on the profile the case belongs to, and compares each output with the reference
from ONNX Runtime on the original model, using the bundle's tolerances (srd_compare.py, Polygraphy semantics).

  python3 scripts/validate_plan.py --plan OUT/NAME.plan [--plugin OUT/libsrd_fused_attention_trt.so] [--json OUT.json]
  python3 scripts/validate_plan.py --list            the cases and tolerances, without TensorRT

The plugin library is loaded into TensorRT's plugin registry BEFORE the plan is deserialized: a plan with a plugin
layer cannot be deserialized otherwise ("Cannot deserialize plugin since corresponding IPluginCreator not found",
NVIDIA/TensorRT#263, #955). Device memory comes from the CUDA runtime through ctypes (no pycuda / cuda-python needed).

With TensorRT 11.1 or later, trtexec can run the same check itself: --loadInputs with the reference inputs and
--loadRefOutputs with the reference outputs (--atol/--rtol, --accuracyAlgorithm); see the bundle's README.md.

Exit status: 0 every output within tolerance; 1 some output failed; 2 usage; 3 bundle damaged;
4 TensorRT, numpy or the CUDA runtime missing, or the plan cannot be loaded; 5 running the plan failed.
"""

import argparse
import ctypes
import ctypes.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXIT_RUN_FAILED = 5
sys.path.insert(0, HERE)

try:
    import numpy as np
    import srd_compare
except ImportError as e:  # numpy missing: nothing else can work
    print("validate_plan: %s (install python3-numpy)" % e, file=sys.stderr)
    sys.exit(4)


class MissingComponent(Exception):
    """TensorRT, the CUDA runtime or the plugin cannot be loaded (exit status 4)."""


class CudaRuntime:
    """The few CUDA runtime calls the validator needs, through ctypes."""

    HOST_TO_DEVICE = 1
    DEVICE_TO_HOST = 2

    def __init__(self, path=None):
        candidates = [path] if path else []
        cuda_home = os.environ.get("CUDA_HOME", "/usr/local/cuda")
        candidates += ["libcudart.so", "libcudart.so.12", "libcudart.so.11.0", os.path.join(cuda_home, "lib64", "libcudart.so")]
        found = ctypes.util.find_library("cudart")
        if found:
            candidates.append(found)
        errors = []
        self.lib = None
        for candidate in candidates:
            try:
                self.lib = ctypes.CDLL(candidate)
                break
            except OSError as e:
                errors.append("%s: %s" % (candidate, e))
        if self.lib is None:
            raise MissingComponent("the CUDA runtime (libcudart) cannot be loaded; tried " + "; ".join(errors))
        lib = self.lib
        lib.cudaMalloc.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t]
        lib.cudaFree.argtypes = [ctypes.c_void_p]
        lib.cudaMemcpy.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        lib.cudaStreamCreate.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        lib.cudaStreamSynchronize.argtypes = [ctypes.c_void_p]
        lib.cudaStreamDestroy.argtypes = [ctypes.c_void_p]
        lib.cudaGetErrorString.argtypes = [ctypes.c_int]
        lib.cudaGetErrorString.restype = ctypes.c_char_p
        for name in ("cudaMalloc", "cudaFree", "cudaMemcpy", "cudaStreamCreate", "cudaStreamSynchronize", "cudaStreamDestroy"):
            getattr(lib, name).restype = ctypes.c_int

    def check(self, status, what):
        if status != 0:
            raise RuntimeError("%s failed: %s" % (what, self.lib.cudaGetErrorString(status).decode()))

    def malloc(self, nbytes):
        pointer = ctypes.c_void_p()
        self.check(self.lib.cudaMalloc(ctypes.byref(pointer), max(int(nbytes), 1)), "cudaMalloc(%d)" % nbytes)
        return pointer.value

    def free(self, pointer):
        self.check(self.lib.cudaFree(ctypes.c_void_p(pointer)), "cudaFree")

    def to_device(self, pointer, array):
        self.check(self.lib.cudaMemcpy(ctypes.c_void_p(pointer), array.ctypes.data_as(ctypes.c_void_p), array.nbytes,
                                       self.HOST_TO_DEVICE), "cudaMemcpy host to device")

    def to_host(self, array, pointer):
        self.check(self.lib.cudaMemcpy(array.ctypes.data_as(ctypes.c_void_p), ctypes.c_void_p(pointer), array.nbytes,
                                       self.DEVICE_TO_HOST), "cudaMemcpy device to host")

    def stream(self):
        stream = ctypes.c_void_p()
        self.check(self.lib.cudaStreamCreate(ctypes.byref(stream)), "cudaStreamCreate")
        return stream.value

    def synchronize(self, stream):
        self.check(self.lib.cudaStreamSynchronize(ctypes.c_void_p(stream)), "cudaStreamSynchronize")

    def destroy_stream(self, stream):
        self.check(self.lib.cudaStreamDestroy(ctypes.c_void_p(stream)), "cudaStreamDestroy")


def import_tensorrt():
    try:
        import tensorrt
    except ImportError as e:
        raise MissingComponent("the tensorrt Python module is not installed (%s); JetPack: sudo apt install python3-libnvinfer" % e)
    return tensorrt


class PlanRunner:
    """Deserializes a plan (after loading the plugin) and runs inputs on a chosen optimization profile."""

    def __init__(self, plan_path, plugin_path, cuda):
        trt = import_tensorrt()
        self.trt = trt
        self.cuda = cuda
        self.logger = trt.Logger(trt.Logger.WARNING)
        self.plugin_handle = None
        if plugin_path:
            if not os.path.isfile(plugin_path):
                raise MissingComponent("plugin library not found: %s (build it: scripts/build_and_validate.sh)" % plugin_path)
            registry = trt.get_plugin_registry()
            # Must happen before deserialization (NVIDIA/TensorRT#263, #955).
            self.plugin_handle = registry.load_library(plugin_path)
            if self.plugin_handle is None:
                raise MissingComponent("TensorRT refused the plugin library %s (IPluginRegistry.load_library)" % plugin_path)
        with open(plan_path, "rb") as f:
            plan = f.read()
        self.runtime = trt.Runtime(self.logger)
        self.engine = self.runtime.deserialize_cuda_engine(plan)
        if self.engine is None:
            raise MissingComponent("TensorRT %s cannot deserialize %s (built by another TensorRT version or GPU, or the plugin "
                                   "library was not given)" % (trt.__version__, plan_path))
        self.context = self.engine.create_execution_context()
        self.names = [self.engine.get_tensor_name(i) for i in range(self.engine.num_io_tensors)]
        self.inputs = [n for n in self.names if self.engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
        self.outputs = [n for n in self.names if self.engine.get_tensor_mode(n) == trt.TensorIOMode.OUTPUT]
        self.stream = cuda.stream()

    @property
    def profile_count(self):
        return self.engine.num_optimization_profiles

    def run(self, profile, inputs):
        trt, cuda, engine, context = self.trt, self.cuda, self.engine, self.context
        for name in self.inputs:
            if name not in inputs:
                raise srd_compare.BundleError("the reference case has no input named %r (plan inputs: %s)" % (name, self.inputs))
            shape = inputs[name].shape
            low, _, high = engine.get_tensor_profile_shape(name, profile)
            if len(shape) != len(low) or any(s < a or s > b for s, a, b in zip(shape, low, high)):
                raise srd_compare.BundleError("input %r shape %s is outside profile %d (%s..%s)" % (name, list(shape), profile, list(low), list(high)))
        if not context.set_optimization_profile_async(profile, self.stream):
            raise RuntimeError("cannot select optimization profile %d" % profile)
        cuda.synchronize(self.stream)
        allocations = []
        try:
            for name in self.inputs:
                array = np.ascontiguousarray(inputs[name].astype(trt.nptype(engine.get_tensor_dtype(name))))
                if not context.set_input_shape(name, array.shape):
                    raise RuntimeError("set_input_shape(%r, %s) failed" % (name, list(array.shape)))
                pointer = cuda.malloc(array.nbytes)
                allocations.append(pointer)
                cuda.to_device(pointer, array)
                context.set_tensor_address(name, pointer)
            results = {}
            for name in self.outputs:
                shape = tuple(context.get_tensor_shape(name))
                array = np.empty(shape, dtype=trt.nptype(engine.get_tensor_dtype(name)))
                pointer = cuda.malloc(array.nbytes)
                allocations.append(pointer)
                context.set_tensor_address(name, pointer)
                results[name] = (array, pointer)
            if not context.execute_async_v3(self.stream):
                raise RuntimeError("execute_async_v3 failed (see the TensorRT log above)")
            cuda.synchronize(self.stream)
            outputs = {}
            for name, (array, pointer) in results.items():
                cuda.to_host(array, pointer)
                outputs[name] = array
            return outputs
        finally:
            for pointer in allocations:
                cuda.free(pointer)

    def close(self):
        self.cuda.destroy_stream(self.stream)


def list_cases(bundle_dir, manifest):
    tol = srd_compare.tolerance(manifest)
    print("bundle %s: model %s x%d, %d profile(s), %d reference case(s)" % (
        bundle_dir, manifest["model"]["name"], manifest["model"]["scale"], len(manifest["profiles"]), len(srd_compare.reference_cases(manifest))))
    print("tolerance: atol=%g rtol=%g check=%s psnr_min=%s cosine_min=%s" % (
        tol["atol"], tol["rtol"], tol["check"], tol["psnr_min"], tol["cosine_min"]))
    for case in srd_compare.reference_cases(manifest):
        inputs = {t["name"]: srd_compare.load_tensor(bundle_dir, t) for t in case["inputs"]}
        outputs = {t["name"]: srd_compare.load_tensor(bundle_dir, t) for t in case["outputs"]}
        print("case %s: profile %d, inputs %s -> outputs %s" % (
            case["name"], case["profile"],
            ", ".join("%s %s%s" % (n, a.dtype, list(a.shape)) for n, a in inputs.items()),
            ", ".join("%s %s%s" % (n, a.dtype, list(a.shape)) for n, a in outputs.items())))
    return srd_compare.EXIT_OK


def validate(args, bundle_dir, manifest):
    tol = srd_compare.tolerance(manifest)
    import_tensorrt()
    cuda = CudaRuntime(args.cudart)
    runner = PlanRunner(args.plan, args.plugin, cuda)
    print("TensorRT %s: %s with %d profile(s)" % (runner.trt.__version__, args.plan, runner.profile_count))
    if runner.profile_count != len(manifest["profiles"]):
        print("warning: the plan has %d profile(s), the bundle %d" % (runner.profile_count, len(manifest["profiles"])), file=sys.stderr)
    report = {"plan": args.plan, "tensorrt": runner.trt.__version__, "tolerance": tol, "cases": []}
    failed = 0
    total = 0
    try:
        for case in srd_compare.reference_cases(manifest):
            inputs = {t["name"]: srd_compare.load_tensor(bundle_dir, t) for t in case["inputs"]}
            outputs = runner.run(case["profile"], inputs)
            entry = {"name": case["name"], "profile": case["profile"], "outputs": {}}
            for tensor in case["outputs"]:
                expected = srd_compare.load_tensor(bundle_dir, tensor)
                actual = outputs.get(tensor["name"])
                if actual is None:
                    result = {"passed": False, "reason": "the plan has no output named %r" % tensor["name"]}
                else:
                    result = srd_compare.compare(actual, expected, tol["atol"], tol["rtol"], tol["check"],
                                                 tol["psnr_min"], tol["cosine_min"], tol["psnr_peak"])
                total += 1
                failed += 0 if result["passed"] else 1
                entry["outputs"][tensor["name"]] = result
                shape = ",".join("%s:%s" % (t["name"], "x".join(str(d) for d in t["shape"])) for t in case["inputs"])
                print("%s (profile %d, %s) %s: %s" % (case["name"], case["profile"], shape, tensor["name"], srd_compare.describe(result)))
            report["cases"].append(entry)
    finally:
        runner.close()
    report["passed"] = failed == 0
    if args.json:
        with open(args.json, "w") as f:
            f.write(srd_compare.to_json(report))
    if failed:
        print("plan validation FAILED: %d of %d output(s) outside tolerance" % (failed, total))
        return srd_compare.EXIT_FAILED
    print("plan validation PASSED: %d output(s) in %d case(s) within atol=%g rtol=%g (%s)" % (
        total, len(report["cases"]), tol["atol"], tol["rtol"], tol["check"]))
    return srd_compare.EXIT_OK


def main(argv=None):
    parser = argparse.ArgumentParser(description="Validate a TensorRT plan against a srdeploy bundle's reference outputs.")
    parser.add_argument("--bundle", default=os.path.dirname(HERE), help="the extracted bundle (default: this script's bundle)")
    parser.add_argument("--plan", help="the plan to validate")
    parser.add_argument("--plugin", help="the FusedAttention plugin library (needed when the model uses it)")
    parser.add_argument("--cudart", help="the CUDA runtime library (default: libcudart.so from the loader path or CUDA_HOME)")
    parser.add_argument("--json", help="also write the results as JSON here")
    parser.add_argument("--list", action="store_true", help="list the reference cases and tolerances (no TensorRT needed)")
    parser.add_argument("--check-files", action="store_true", help="check every file's sha256 against manifest.json and exit")
    args = parser.parse_args(argv)
    try:
        manifest = srd_compare.load_manifest(args.bundle)
        if args.check_files:
            problems = srd_compare.verify_files(args.bundle, manifest)
            for problem in problems:
                print("bundle damaged: %s" % problem, file=sys.stderr)
            if problems:
                return srd_compare.EXIT_BAD_BUNDLE
            print("bundle files: %d checked, all match manifest.json" % len(manifest["files"]))
            return srd_compare.EXIT_OK
        if args.list:
            return list_cases(args.bundle, manifest)
        if not args.plan:
            parser.print_usage(sys.stderr)
            print("validate_plan: --plan is required (or --list / --check-files)", file=sys.stderr)
            return srd_compare.EXIT_USAGE
        if manifest.get("plugin") and not args.plugin:
            print("validate_plan: the model uses the %s plugin: pass --plugin LIB" % manifest["plugin"]["name"], file=sys.stderr)
            return srd_compare.EXIT_USAGE
        return validate(args, args.bundle, manifest)
    except srd_compare.BundleError as e:
        print("validate_plan: bundle damaged: %s" % e, file=sys.stderr)
        return srd_compare.EXIT_BAD_BUNDLE
    except MissingComponent as e:
        print("validate_plan: %s" % e, file=sys.stderr)
        return srd_compare.EXIT_MISSING
    except RuntimeError as e:
        print("validate_plan: running the plan failed: %s" % e, file=sys.stderr)
        return EXIT_RUN_FAILED


if __name__ == "__main__":
    sys.exit(main())
