"""A minimal ONNX Runtime runner over the C API through ctypes, for cross-checking exported models against PyTorch
where the onnxruntime Python package is not installed (it is not on the development machines; the native library
fetched by scripts/setup is). Float32 inputs and float32/int64 outputs only; CPU execution provider.

Slot numbers are those of OrtApi version 30 (docs: ORT's onnxruntime_c_api.h; slots never move between versions).
"""

import ctypes
import os

import numpy as np

_API_VERSION = 30
_SLOT = {
    "GetErrorMessage": 2, "CreateEnv": 3, "CreateSession": 7, "Run": 9, "CreateSessionOptions": 10,
    "SetSessionGraphOptimizationLevel": 23, "SetIntraOpNumThreads": 24, "SessionGetOutputCount": 31,
    "SessionGetOutputName": 37, "CreateTensorWithDataAsOrtValue": 49, "GetTensorMutableData": 51,
    "GetTensorElementType": 60, "GetDimensionsCount": 61, "GetDimensions": 62, "GetTensorTypeAndShape": 65,
    "CreateCpuMemoryInfo": 69, "AllocatorFree": 76, "GetAllocatorWithDefaultOptions": 78, "ReleaseEnv": 92,
    "ReleaseStatus": 93, "ReleaseMemoryInfo": 94, "ReleaseSession": 95, "ReleaseValue": 96,
    "ReleaseTensorTypeAndShapeInfo": 99, "ReleaseSessionOptions": 100,
}
_P = ctypes.c_void_p
_STATUS = ctypes.c_void_p
_SIGNATURES = {
    "GetErrorMessage": (ctypes.c_char_p, [_P]),
    "CreateEnv": (_STATUS, [ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(_P)]),
    "CreateSession": (_STATUS, [_P, ctypes.c_char_p, _P, ctypes.POINTER(_P)]),
    "Run": (_STATUS, [_P, _P, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(_P), ctypes.c_size_t,
                      ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t, ctypes.POINTER(_P)]),
    "CreateSessionOptions": (_STATUS, [ctypes.POINTER(_P)]),
    "SetSessionGraphOptimizationLevel": (_STATUS, [_P, ctypes.c_int]),
    "SetIntraOpNumThreads": (_STATUS, [_P, ctypes.c_int]),
    "SessionGetOutputCount": (_STATUS, [_P, ctypes.POINTER(ctypes.c_size_t)]),
    "SessionGetOutputName": (_STATUS, [_P, ctypes.c_size_t, _P, ctypes.POINTER(_P)]),
    "CreateTensorWithDataAsOrtValue": (_STATUS, [_P, _P, ctypes.c_size_t, ctypes.POINTER(ctypes.c_int64),
                                                 ctypes.c_size_t, ctypes.c_int, ctypes.POINTER(_P)]),
    "GetTensorMutableData": (_STATUS, [_P, ctypes.POINTER(_P)]),
    "GetTensorElementType": (_STATUS, [_P, ctypes.POINTER(ctypes.c_int)]),
    "GetDimensionsCount": (_STATUS, [_P, ctypes.POINTER(ctypes.c_size_t)]),
    "GetDimensions": (_STATUS, [_P, ctypes.POINTER(ctypes.c_int64), ctypes.c_size_t]),
    "GetTensorTypeAndShape": (_STATUS, [_P, ctypes.POINTER(_P)]),
    "CreateCpuMemoryInfo": (_STATUS, [ctypes.c_int, ctypes.c_int, ctypes.POINTER(_P)]),
    "AllocatorFree": (_STATUS, [_P, _P]),
    "GetAllocatorWithDefaultOptions": (_STATUS, [ctypes.POINTER(_P)]),
}
for _name in ("ReleaseEnv", "ReleaseStatus", "ReleaseMemoryInfo", "ReleaseSession", "ReleaseValue",
              "ReleaseTensorTypeAndShapeInfo", "ReleaseSessionOptions"):
    _SIGNATURES[_name] = (None, [_P])

_ELEMENT_FLOAT = 1
_ELEMENT_INT64 = 7


class OrtError(RuntimeError):
    pass


class OrtRuntime:
    """Loads libonnxruntime and exposes the handful of OrtApi slots needed to run a model on the CPU."""

    def __init__(self, library_path):
        self._lib = ctypes.CDLL(os.path.abspath(library_path))
        self._lib.OrtGetApiBase.restype = ctypes.POINTER(_P)
        base = self._lib.OrtGetApiBase()
        get_api = ctypes.CFUNCTYPE(ctypes.POINTER(_P), ctypes.c_uint32)(base[0])
        table = get_api(_API_VERSION)
        if not table:
            raise OrtError(f"ONNX Runtime at {library_path} does not offer API version {_API_VERSION}")
        self._fn = {}
        for name, slot in _SLOT.items():
            restype, argtypes = _SIGNATURES[name]
            self._fn[name] = ctypes.CFUNCTYPE(restype, *argtypes)(table[slot])
        env = _P()
        # Level 4 (fatal): failures still come back as statuses; the expected ones need not be logged too.
        self._check(self._fn["CreateEnv"](4, b"srd-fixtures", ctypes.byref(env)))
        self._env = env
        info = _P()
        self._check(self._fn["CreateCpuMemoryInfo"](1, 0, ctypes.byref(info)))
        self._memory_info = info

    def _check(self, status):
        if status:
            message = self._fn["GetErrorMessage"](status).decode("utf-8", "replace")
            self._fn["ReleaseStatus"](status)
            raise OrtError(message)

    def session(self, model_path, threads=0, optimization_level=99):
        return OrtSession(self, model_path, threads, optimization_level)


class OrtSession:
    def __init__(self, runtime, model_path, threads, optimization_level):
        self._rt = runtime
        fn = runtime._fn
        options = _P()
        runtime._check(fn["CreateSessionOptions"](ctypes.byref(options)))
        try:
            runtime._check(fn["SetIntraOpNumThreads"](options, threads))
            runtime._check(fn["SetSessionGraphOptimizationLevel"](options, optimization_level))
            session = _P()
            runtime._check(fn["CreateSession"](runtime._env, os.fsencode(model_path), options, ctypes.byref(session)))
        finally:
            fn["ReleaseSessionOptions"](options)
        self._session = session
        count = ctypes.c_size_t()
        runtime._check(fn["SessionGetOutputCount"](session, ctypes.byref(count)))
        allocator = _P()
        runtime._check(fn["GetAllocatorWithDefaultOptions"](ctypes.byref(allocator)))
        self.output_names = []
        for i in range(count.value):
            name = _P()
            runtime._check(fn["SessionGetOutputName"](session, i, allocator, ctypes.byref(name)))
            self.output_names.append(ctypes.string_at(name).decode())
            runtime._check(fn["AllocatorFree"](allocator, name))

    def run(self, inputs, shapes_only=False):
        """inputs: {name: float32 ndarray}; returns [ndarray] in output order, or with shapes_only=True the output
        shapes (tuples) whatever the element types."""
        rt, fn = self._rt, self._rt._fn
        arrays = [np.ascontiguousarray(a, dtype=np.float32) for a in inputs.values()]
        values = (_P * len(arrays))()
        shapes = []
        try:
            for i, array in enumerate(arrays):
                shape = (ctypes.c_int64 * array.ndim)(*array.shape)
                shapes.append(shape)
                rt._check(fn["CreateTensorWithDataAsOrtValue"](
                    rt._memory_info, array.ctypes.data_as(_P), array.nbytes, shape, array.ndim, _ELEMENT_FLOAT,
                    ctypes.byref(ctypes.cast(ctypes.addressof(values) + i * ctypes.sizeof(_P),
                                             ctypes.POINTER(_P)).contents)))
            in_names = (ctypes.c_char_p * len(arrays))(*[n.encode() for n in inputs])
            out_names = (ctypes.c_char_p * len(self.output_names))(*[n.encode() for n in self.output_names])
            outputs = (_P * len(self.output_names))()
            rt._check(fn["Run"](self._session, None, in_names, values, len(arrays), out_names,
                                len(self.output_names), outputs))
            try:
                if shapes_only:
                    return [self._type_and_shape(outputs[i])[1] for i in range(len(self.output_names))]
                return [self._to_numpy(outputs[i]) for i in range(len(self.output_names))]
            finally:
                for i in range(len(self.output_names)):
                    fn["ReleaseValue"](outputs[i])
        finally:
            for i in range(len(arrays)):
                fn["ReleaseValue"](values[i])

    def _type_and_shape(self, value):
        rt, fn = self._rt, self._rt._fn
        info = _P()
        rt._check(fn["GetTensorTypeAndShape"](value, ctypes.byref(info)))
        try:
            element = ctypes.c_int()
            rt._check(fn["GetTensorElementType"](info, ctypes.byref(element)))
            rank = ctypes.c_size_t()
            rt._check(fn["GetDimensionsCount"](info, ctypes.byref(rank)))
            dims = (ctypes.c_int64 * max(rank.value, 1))()
            rt._check(fn["GetDimensions"](info, dims, rank.value))
        finally:
            fn["ReleaseTensorTypeAndShapeInfo"](info)
        return element.value, tuple(dims[i] for i in range(rank.value))

    def _to_numpy(self, value):
        rt, fn = self._rt, self._rt._fn
        element, shape = self._type_and_shape(value)
        dtype = {_ELEMENT_FLOAT: np.float32, _ELEMENT_INT64: np.int64}.get(element)
        if dtype is None:
            raise OrtError(f"output element type {element} not handled by this runner")
        data = _P()
        rt._check(fn["GetTensorMutableData"](value, ctypes.byref(data)))
        count = int(np.prod(shape)) if shape else 1
        if count == 0:
            return np.zeros(shape, dtype=dtype)
        buffer = (ctypes.c_char * (count * np.dtype(dtype).itemsize)).from_address(data.value)
        return np.frombuffer(buffer, dtype=dtype).reshape(shape).copy()

    def close(self):
        if self._session:
            self._rt._fn["ReleaseSession"](self._session)
            self._session = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def default_library_path(repo_root):
    return os.path.join(repo_root, ".deps", "onnxruntime", "libonnxruntime.so.1")
