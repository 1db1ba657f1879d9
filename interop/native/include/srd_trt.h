/*
 * srd_trt.h: the C ABI of SuperRes.Deploy's TensorRT shim (libsrd_trt.so).
 *
 * TensorRT exposes a C++ API (virtual interfaces) with only a few C factory symbols, so .NET cannot call it directly.
 * This header is the flat, pure-C surface the C# side binds to (bindings are generated from this file by
 * interop/generation/generate_trt_bindings.py; regenerate after every change). It compiles as C99 and as C++.
 *
 * Conventions (docs/interop-ownership.md, "TensorRT C ABI shim", says who frees what):
 *  - Every function returns an srd_status. Outputs go through out-parameters and are assigned only when the call
 *    returns SRD_STATUS_OK. The one exception is the required size of the two-call string pattern (below), which is
 *    also assigned on SRD_STATUS_BUFFER_TOO_SMALL.
 *  - On failure, srd_error_get_last_message returns a one-line message ("<function>: <what went wrong>") kept in a
 *    thread-local owned by the library; read it on the same thread right after the failing call. Successful calls
 *    leave it unchanged.
 *  - Objects are opaque handles created by srd_<object>_create (or another named factory) and released by the
 *    matching srd_<object>_destroy. Destroying NULL is a no-op that returns SRD_STATUS_OK. Handles keep what they
 *    depend on alive internally, so handles may be destroyed in any order.
 *  - Strings are returned with the two-call pattern: pass buffer = NULL to learn the size; a buffer smaller than the
 *    size gives SRD_STATUS_BUFFER_TOO_SMALL. In both cases *out_required is the size in bytes including the
 *    terminating NUL. The buffer is written only on success.
 *  - Memory is freed by the library that allocated it: plans and timing caches come back as srd_host_memory handles.
 *  - No function lets an exception escape. When TensorRT (libnvinfer), its ONNX parser or the CUDA runtime cannot be
 *    loaded, the calls needing them return SRD_STATUS_LIBRARY_MISSING with a message naming what to install and the
 *    paths tried; the shim itself loads without them.
 */
#ifndef SRD_TRT_H
#define SRD_TRT_H

#include <stdint.h>

/* Version of this ABI. Bumped on any incompatible change; the C# side refuses a library reporting another value. */
#define SRD_TRT_ABI_VERSION 1

/* Maximum rank of a tensor shape (TensorRT's Dims::MAX_DIMS). */
#define SRD_TRT_MAX_DIMS 8

/* C linkage for C++ callers, exported from the library. Declared per function (no extern "C" block). */
#ifdef __cplusplus
#define SRD_TRT_EXTERN extern "C"
#else
#define SRD_TRT_EXTERN extern
#endif
#if defined(_WIN32)
#if defined(SRD_TRT_BUILDING_LIBRARY)
#define SRD_TRT_API SRD_TRT_EXTERN __declspec(dllexport)
#else
#define SRD_TRT_API SRD_TRT_EXTERN __declspec(dllimport)
#endif
#else
#define SRD_TRT_API SRD_TRT_EXTERN __attribute__((visibility("default")))
#endif

/* ==== Enumerations ================================================================================================ */

/* Result of every call. */
typedef enum srd_status
{
    SRD_STATUS_OK = 0,
    SRD_STATUS_INVALID_ARGUMENT = 1, /* a NULL handle or pointer, a value out of range, an unknown tensor name */
    SRD_STATUS_BUFFER_TOO_SMALL = 2, /* two-call strings, host output buffers: the required size is reported */
    SRD_STATUS_NOT_FOUND = 3,        /* a named tensor, file or plugin library does not exist */
    SRD_STATUS_UNSUPPORTED = 4,      /* not available in the TensorRT version the shim was compiled against */
    SRD_STATUS_LIBRARY_MISSING = 5,  /* TensorRT, its ONNX parser or the CUDA runtime cannot be loaded */
    SRD_STATUS_PARSE_FAILED = 6,     /* the ONNX parser reported errors (query them on the parser) */
    SRD_STATUS_BUILD_FAILED = 7,     /* the builder returned no plan (the logger has TensorRT's reasons) */
    SRD_STATUS_RUNTIME_ERROR = 8,    /* TensorRT refused a runtime call (deserialize, set shape, enqueue) */
    SRD_STATUS_OUT_OF_MEMORY = 9,    /* host allocation failed */
    SRD_STATUS_CUDA_ERROR = 10,      /* a CUDA runtime call failed (message has the CUDA error name) */
    SRD_STATUS_INTERNAL = 11         /* a bug: an unexpected exception was caught at the boundary */
} srd_status;

/* TensorRT's ILogger::Severity, same values. */
typedef enum srd_log_severity
{
    SRD_LOG_SEVERITY_INTERNAL_ERROR = 0,
    SRD_LOG_SEVERITY_ERROR = 1,
    SRD_LOG_SEVERITY_WARNING = 2,
    SRD_LOG_SEVERITY_INFO = 3,
    SRD_LOG_SEVERITY_VERBOSE = 4
} srd_log_severity;

/* TensorRT's DataType, same values. */
typedef enum srd_data_type
{
    SRD_DATA_TYPE_FLOAT = 0,
    SRD_DATA_TYPE_HALF = 1,
    SRD_DATA_TYPE_INT8 = 2,
    SRD_DATA_TYPE_INT32 = 3,
    SRD_DATA_TYPE_BOOL = 4,
    SRD_DATA_TYPE_UINT8 = 5,
    SRD_DATA_TYPE_FP8 = 6,
    SRD_DATA_TYPE_BF16 = 7,
    SRD_DATA_TYPE_INT64 = 8,
    SRD_DATA_TYPE_INT4 = 9,
    SRD_DATA_TYPE_FP4 = 10,
    SRD_DATA_TYPE_E8M0 = 11
} srd_data_type;

/* TensorRT's TensorIOMode, same values. */
typedef enum srd_tensor_io_mode
{
    SRD_TENSOR_IO_MODE_NONE = 0,
    SRD_TENSOR_IO_MODE_INPUT = 1,
    SRD_TENSOR_IO_MODE_OUTPUT = 2
} srd_tensor_io_mode;

/* TensorRT's OptProfileSelector, same values. */
typedef enum srd_profile_selector
{
    SRD_PROFILE_SELECTOR_MIN = 0,
    SRD_PROFILE_SELECTOR_OPT = 1,
    SRD_PROFILE_SELECTOR_MAX = 2
} srd_profile_selector;

/* ONNX parser flags (nvonnxparser::OnnxParserFlag). */
typedef enum srd_onnx_parser_flag
{
    SRD_ONNX_PARSER_FLAG_NATIVE_INSTANCENORM = 0,   /* on by default; off = use the InstanceNormalization plugin */
    SRD_ONNX_PARSER_FLAG_ENABLE_PLUGIN_OVERRIDE = 1 /* TensorRT >= 10.15: prefer a registered plugin over built-ins */
} srd_onnx_parser_flag;

/* Which string of a parser error to read. */
typedef enum srd_parser_error_field
{
    SRD_PARSER_ERROR_FIELD_DESCRIPTION = 0,
    SRD_PARSER_ERROR_FIELD_NODE_NAME = 1,
    SRD_PARSER_ERROR_FIELD_NODE_OPERATOR = 2,
    SRD_PARSER_ERROR_FIELD_FILE = 3,
    SRD_PARSER_ERROR_FIELD_FUNCTION = 4
} srd_parser_error_field;

/* Builder configuration flags. The weak-typing precision flags (FP16, BF16, INT8, the precision constraints) exist
 * up to TensorRT 10.x and give SRD_STATUS_UNSUPPORTED on 11.x, where networks are strongly typed. */
typedef enum srd_builder_flag
{
    SRD_BUILDER_FLAG_FP16 = 0,
    SRD_BUILDER_FLAG_BF16 = 1,
    SRD_BUILDER_FLAG_INT8 = 2,
    SRD_BUILDER_FLAG_TF32 = 3,
    SRD_BUILDER_FLAG_VERSION_COMPATIBLE = 4,
    SRD_BUILDER_FLAG_EXCLUDE_LEAN_RUNTIME = 5,
    SRD_BUILDER_FLAG_REFIT = 6,
    SRD_BUILDER_FLAG_STRIP_PLAN = 7,
    SRD_BUILDER_FLAG_DISABLE_TIMING_CACHE = 8,
    SRD_BUILDER_FLAG_ERROR_ON_TIMING_CACHE_MISS = 9,
    SRD_BUILDER_FLAG_SPARSE_WEIGHTS = 10,
    SRD_BUILDER_FLAG_OBEY_PRECISION_CONSTRAINTS = 11,
    SRD_BUILDER_FLAG_PREFER_PRECISION_CONSTRAINTS = 12
} srd_builder_flag;

/* TensorRT's MemoryPoolType, same values. */
typedef enum srd_memory_pool
{
    SRD_MEMORY_POOL_WORKSPACE = 0,
    SRD_MEMORY_POOL_DLA_MANAGED_SRAM = 1,
    SRD_MEMORY_POOL_DLA_LOCAL_DRAM = 2,
    SRD_MEMORY_POOL_DLA_GLOBAL_DRAM = 3,
    SRD_MEMORY_POOL_TACTIC_DRAM = 4,
    SRD_MEMORY_POOL_TACTIC_SHARED_MEMORY = 5
} srd_memory_pool;

/* TensorRT's HardwareCompatibilityLevel. SAME_COMPUTE_CAPABILITY needs TensorRT >= 10.9. */
typedef enum srd_hardware_compatibility
{
    SRD_HARDWARE_COMPATIBILITY_NONE = 0,
    SRD_HARDWARE_COMPATIBILITY_AMPERE_PLUS = 1,
    SRD_HARDWARE_COMPATIBILITY_SAME_COMPUTE_CAPABILITY = 2
} srd_hardware_compatibility;

/* TensorRT's ProfilingVerbosity, same values. DETAILED makes the engine inspector JSON useful. */
typedef enum srd_profiling_verbosity
{
    SRD_PROFILING_VERBOSITY_LAYER_NAMES_ONLY = 0,
    SRD_PROFILING_VERBOSITY_NONE = 1,
    SRD_PROFILING_VERBOSITY_DETAILED = 2
} srd_profiling_verbosity;

/* ==== Plain structures (blittable; sizes and offsets are checked by the generated layout tests) =================== */

/* A tensor shape. -1 marks a dynamic dimension. `reserved` makes the padding before `d` explicit; it is zero. */
typedef struct srd_dims
{
    int32_t nb_dims;
    int32_t reserved;
    int64_t d[SRD_TRT_MAX_DIMS];
} srd_dims;

/* What the shim knows about itself and the libraries it loaded. Versions are major*10000 + minor*100 + patch
 * (CUDA: major*1000 + minor*10); 0 where the library is not loaded. */
typedef struct srd_library_info
{
    int32_t abi_version;              /* SRD_TRT_ABI_VERSION of the library */
    int32_t header_tensorrt_version;  /* NV_TENSORRT_VERSION of the headers the shim was compiled against */
    int32_t header_tensorrt_build;    /* NV_TENSORRT_BUILD of those headers */
    int32_t runtime_tensorrt_version; /* getInferLibVersion() of the loaded libnvinfer */
    int32_t onnx_parser_version;      /* getNvOnnxParserVersion() of the loaded libnvonnxparser */
    int32_t cuda_runtime_version;     /* cudaRuntimeGetVersion() of the loaded libcudart */
    int32_t cuda_driver_version;      /* cudaDriverGetVersion(); 0 without a driver */
    int32_t tensorrt_loaded;          /* 1 when libnvinfer is loaded and usable */
    int32_t onnx_parser_loaded;       /* 1 when libnvonnxparser is loaded */
    int32_t cuda_runtime_loaded;      /* 1 when libcudart is loaded */
    int32_t is_test_double;           /* 1 in tests' recording double, 0 in the real shim */
    int32_t reserved;
} srd_library_info;

/* One CUDA device (from cudaDeviceGetAttribute / cudaMemGetInfo). */
typedef struct srd_device_info
{
    int32_t device;
    int32_t compute_capability_major;
    int32_t compute_capability_minor;
    int32_t multiprocessor_count;
    int32_t integrated; /* 1 on Jetson-style devices sharing memory with the host */
    int32_t reserved;
    uint64_t total_memory_bytes;
    uint64_t free_memory_bytes;
} srd_device_info;

/* What the builder reports about the platform. -1 where the TensorRT version has no such query (TensorRT 11 removed
 * platformHasFastFp16 and platformHasTf32). */
typedef struct srd_builder_platform_info
{
    int32_t has_fast_fp16;
    int32_t has_tf32;
    int32_t nb_dla_cores;
    int32_t max_threads;
} srd_builder_platform_info;

/* The numeric part of one ONNX parser error; its strings come from srd_onnx_parser_get_error_string. */
typedef struct srd_parser_error
{
    int32_t code;       /* nvonnxparser::ErrorCode */
    int32_t node_index; /* index of the failing node in the graph, -1 when none */
    int32_t line;       /* line in the parser's source that raised it */
    int32_t reserved;
} srd_parser_error;

/* Mode, type and shape of a network or engine I/O tensor. */
typedef struct srd_tensor_info
{
    srd_tensor_io_mode io_mode;
    srd_data_type data_type;
    srd_dims shape;
} srd_tensor_info;

/* One host buffer for srd_execution_context_execute_host. For inputs, size_bytes is the exact byte size of the
 * data; for outputs it is the capacity. written_bytes is set on success (bytes read for inputs, written for
 * outputs). */
typedef struct srd_host_tensor
{
    char const* name;
    void* data;
    uint64_t size_bytes;
    uint64_t written_bytes;
} srd_host_tensor;

/* Called for every log message at or above the logger's minimum severity, possibly from TensorRT's worker threads.
 * `message` is valid only during the call. Must not throw or longjmp. */
typedef void (*srd_log_callback)(void* user, int32_t severity, char const* message);

/* ==== Opaque handles ============================================================================================== */

typedef struct srd_logger srd_logger;
typedef struct srd_plugin_library srd_plugin_library;
typedef struct srd_builder srd_builder;
typedef struct srd_network srd_network;
typedef struct srd_onnx_parser srd_onnx_parser;
typedef struct srd_builder_config srd_builder_config;
typedef struct srd_optimization_profile srd_optimization_profile;
typedef struct srd_host_memory srd_host_memory;
typedef struct srd_runtime srd_runtime;
typedef struct srd_engine srd_engine;
typedef struct srd_execution_context srd_execution_context;

/* ==== Library, errors, versions =================================================================================== */

/* SRD_TRT_ABI_VERSION of the loaded library. Never needs TensorRT. */
SRD_TRT_API srd_status srd_abi_get_version(int32_t* out_version);

/* Loads libnvinfer, libnvonnxparser and libcudart now (otherwise done by the first call that needs them). Returns
 * SRD_STATUS_LIBRARY_MISSING with what to install when any is missing or too old. Safe to call repeatedly. */
SRD_TRT_API srd_status srd_library_load(void);

/* Versions and load state; attempts the load first but succeeds whether or not the libraries are present. */
SRD_TRT_API srd_status srd_library_get_info(srd_library_info* out_info);

/* Every path tried to load the libraries and the outcome of each, one per line (two-call string). */
SRD_TRT_API srd_status srd_library_get_load_trace(char* buffer, uint64_t buffer_size, uint64_t* out_required);

/* The message of the last failed call on this thread (two-call string; empty when none failed yet). */
SRD_TRT_API srd_status srd_error_get_last_message(char* buffer, uint64_t buffer_size, uint64_t* out_required);

/* ==== Logging ===================================================================================================== */

/* Registers a log sink for every TensorRT object of the process (TensorRT uses one logger per process). */
SRD_TRT_API srd_status srd_logger_create(
    srd_log_callback callback, void* user, srd_log_severity min_severity, srd_logger** out_logger);

/* Unregisters the sink. When this returns, the callback is not running and will not be called again (unless it is
 * called from inside the callback itself), so `user` may be freed. */
SRD_TRT_API srd_status srd_logger_destroy(srd_logger* logger);

/* ==== CUDA devices ================================================================================================ */

SRD_TRT_API srd_status srd_cuda_get_device_count(int32_t* out_count);
SRD_TRT_API srd_status srd_cuda_get_device_info(int32_t device, srd_device_info* out_info);

/* ==== Plugin libraries (IPluginRegistry::loadLibrary / deregisterLibrary) ========================================= */

/* Loads a plugin library exporting getCreators + setLoggerFinder into the process-wide plugin registry. Load
 * plugins before parsing a network that uses them and before deserializing an engine that uses them. */
SRD_TRT_API srd_status srd_plugin_library_load(char const* path, srd_plugin_library** out_library);

/* Deregisters the library. Engines and networks using its plugins must be destroyed first. */
SRD_TRT_API srd_status srd_plugin_library_destroy(srd_plugin_library* library);

/* ==== Builder ===================================================================================================== */

SRD_TRT_API srd_status srd_builder_create(srd_builder** out_builder);
SRD_TRT_API srd_status srd_builder_destroy(srd_builder* builder);
SRD_TRT_API srd_status srd_builder_get_platform_info(srd_builder* builder, srd_builder_platform_info* out_info);

/* Builds a serialized plan. Sets an empty timing cache on the config first when none was loaded, so that
 * srd_builder_config_serialize_timing_cache returns what the build measured. */
SRD_TRT_API srd_status srd_builder_build(
    srd_builder* builder, srd_network* network, srd_builder_config* config, srd_host_memory** out_plan);

/* ==== Network ===================================================================================================== */

/* strongly_typed != 0 sets NetworkDefinitionCreationFlag::kSTRONGLY_TYPED (TensorRT 10.x). On 11.x every network is
 * strongly typed and the argument is ignored. */
SRD_TRT_API srd_status srd_network_create(srd_builder* builder, int32_t strongly_typed, srd_network** out_network);
SRD_TRT_API srd_status srd_network_destroy(srd_network* network);
SRD_TRT_API srd_status srd_network_get_strongly_typed(srd_network* network, int32_t* out_strongly_typed);
SRD_TRT_API srd_status srd_network_get_nb_layers(srd_network* network, int32_t* out_count);

/* Inputs (mode INPUT) or outputs (mode OUTPUT) of the network, by index. */
SRD_TRT_API srd_status srd_network_get_nb_tensors(srd_network* network, srd_tensor_io_mode mode, int32_t* out_count);
SRD_TRT_API srd_status srd_network_get_tensor_name(srd_network* network, srd_tensor_io_mode mode, int32_t index,
    char* buffer, uint64_t buffer_size, uint64_t* out_required);
SRD_TRT_API srd_status srd_network_get_tensor_info(
    srd_network* network, srd_tensor_io_mode mode, int32_t index, srd_tensor_info* out_info);

/* ==== ONNX parser ================================================================================================= */

/* The parser fills `network`. It owns the weights the network refers to; the shim keeps them alive until the
 * network is destroyed, so the parser handle may be destroyed before the build. */
SRD_TRT_API srd_status srd_onnx_parser_create(srd_network* network, srd_onnx_parser** out_parser);
SRD_TRT_API srd_status srd_onnx_parser_destroy(srd_onnx_parser* parser);
SRD_TRT_API srd_status srd_onnx_parser_set_flag(srd_onnx_parser* parser, srd_onnx_parser_flag flag, int32_t enabled);
SRD_TRT_API srd_status srd_onnx_parser_get_flag(
    srd_onnx_parser* parser, srd_onnx_parser_flag flag, int32_t* out_enabled);

/* Both return SRD_STATUS_PARSE_FAILED when the parser reports errors; the message holds the first one. `model_path`
 * (may be NULL) is where external weights are looked up relative to. */
SRD_TRT_API srd_status srd_onnx_parser_parse_file(
    srd_onnx_parser* parser, char const* path, srd_log_severity verbosity);
SRD_TRT_API srd_status srd_onnx_parser_parse_bytes(
    srd_onnx_parser* parser, void const* data, uint64_t size, char const* model_path);

SRD_TRT_API srd_status srd_onnx_parser_get_nb_errors(srd_onnx_parser* parser, int32_t* out_count);
SRD_TRT_API srd_status srd_onnx_parser_get_error(srd_onnx_parser* parser, int32_t index, srd_parser_error* out_error);
SRD_TRT_API srd_status srd_onnx_parser_get_error_string(srd_onnx_parser* parser, int32_t index,
    srd_parser_error_field field, char* buffer, uint64_t buffer_size, uint64_t* out_required);

/* ==== Builder configuration ======================================================================================= */

SRD_TRT_API srd_status srd_builder_config_create(srd_builder* builder, srd_builder_config** out_config);
SRD_TRT_API srd_status srd_builder_config_destroy(srd_builder_config* config);
SRD_TRT_API srd_status srd_builder_config_set_flag(srd_builder_config* config, srd_builder_flag flag, int32_t enabled);
SRD_TRT_API srd_status srd_builder_config_get_flag(
    srd_builder_config* config, srd_builder_flag flag, int32_t* out_enabled);
SRD_TRT_API srd_status srd_builder_config_set_memory_pool_limit(
    srd_builder_config* config, srd_memory_pool pool, uint64_t limit_bytes);
SRD_TRT_API srd_status srd_builder_config_get_memory_pool_limit(
    srd_builder_config* config, srd_memory_pool pool, uint64_t* out_limit_bytes);

/* 0..5 (TensorRT's default is 3). */
SRD_TRT_API srd_status srd_builder_config_set_optimization_level(srd_builder_config* config, int32_t level);
SRD_TRT_API srd_status srd_builder_config_set_hardware_compatibility(
    srd_builder_config* config, srd_hardware_compatibility level);
SRD_TRT_API srd_status srd_builder_config_set_profiling_verbosity(
    srd_builder_config* config, srd_profiling_verbosity verbosity);
SRD_TRT_API srd_status srd_builder_config_set_max_aux_streams(srd_builder_config* config, int32_t count);

/* Plugin libraries to embed into the plan (IBuilderConfig::setPluginsToSerialize); the strings are copied. */
SRD_TRT_API srd_status srd_builder_config_set_plugins_to_serialize(
    srd_builder_config* config, char const* const* paths, int32_t count);

/* Timing cache: load replaces the config's cache with one made from `data` (size 0 = empty cache); combine merges
 * `data` into the current cache; serialize returns the current cache (after a build: what the build measured). */
SRD_TRT_API srd_status srd_builder_config_load_timing_cache(
    srd_builder_config* config, void const* data, uint64_t size, int32_t ignore_mismatch);
SRD_TRT_API srd_status srd_builder_config_combine_timing_cache(
    srd_builder_config* config, void const* data, uint64_t size, int32_t ignore_mismatch);
SRD_TRT_API srd_status srd_builder_config_serialize_timing_cache(
    srd_builder_config* config, srd_host_memory** out_cache);

/* Adds a profile; profiles are numbered in the order added, from 0. */
SRD_TRT_API srd_status srd_builder_config_add_optimization_profile(
    srd_builder_config* config, srd_optimization_profile* profile, int32_t* out_index);

/* ==== Optimization profiles ======================================================================================= */

SRD_TRT_API srd_status srd_optimization_profile_create(srd_builder* builder, srd_optimization_profile** out_profile);
SRD_TRT_API srd_status srd_optimization_profile_destroy(srd_optimization_profile* profile);

/* Sets min, opt and max of one input together (min <= opt <= max per dimension). */
SRD_TRT_API srd_status srd_optimization_profile_set_dimensions(srd_optimization_profile* profile,
    char const* input_name, srd_dims const* min, srd_dims const* opt, srd_dims const* max);
SRD_TRT_API srd_status srd_optimization_profile_get_dimensions(
    srd_optimization_profile* profile, char const* input_name, srd_profile_selector selector, srd_dims* out_dims);

/* Values of a shape-tensor input (setShapeValuesV2 from 10.11, int32 setShapeValues before). */
SRD_TRT_API srd_status srd_optimization_profile_set_shape_values(srd_optimization_profile* profile,
    char const* input_name, srd_profile_selector selector, int64_t const* values, int32_t count);

/* ==== Host memory owned by the library (plans, timing caches) ===================================================== */

/* The bytes stay valid until the handle is destroyed. */
SRD_TRT_API srd_status srd_host_memory_get_data(srd_host_memory* memory, void const** out_data, uint64_t* out_size);
SRD_TRT_API srd_status srd_host_memory_destroy(srd_host_memory* memory);

/* ==== Runtime, engine, execution context ========================================================================== */

SRD_TRT_API srd_status srd_runtime_create(srd_runtime** out_runtime);
SRD_TRT_API srd_status srd_runtime_destroy(srd_runtime* runtime);

/* Required (allowed != 0) to load version-compatible plans that embed a lean runtime. */
SRD_TRT_API srd_status srd_runtime_set_engine_host_code_allowed(srd_runtime* runtime, int32_t allowed);

/* Load the plugin libraries the plan uses (srd_plugin_library_load) before this call. */
SRD_TRT_API srd_status srd_runtime_deserialize(
    srd_runtime* runtime, void const* plan, uint64_t size, srd_engine** out_engine);

SRD_TRT_API srd_status srd_engine_destroy(srd_engine* engine);
SRD_TRT_API srd_status srd_engine_get_nb_io_tensors(srd_engine* engine, int32_t* out_count);
SRD_TRT_API srd_status srd_engine_get_io_tensor_name(
    srd_engine* engine, int32_t index, char* buffer, uint64_t buffer_size, uint64_t* out_required);
SRD_TRT_API srd_status srd_engine_get_tensor_info(
    srd_engine* engine, char const* tensor_name, srd_tensor_info* out_info);
SRD_TRT_API srd_status srd_engine_get_nb_optimization_profiles(srd_engine* engine, int32_t* out_count);
SRD_TRT_API srd_status srd_engine_get_profile_shape(srd_engine* engine, char const* tensor_name, int32_t profile_index,
    srd_profile_selector selector, srd_dims* out_dims);

/* IEngineInspector::getEngineInformation(kJSON) (two-call string). Layer detail depends on the profiling verbosity
 * the plan was built with. */
SRD_TRT_API srd_status srd_engine_get_information_json(
    srd_engine* engine, char* buffer, uint64_t buffer_size, uint64_t* out_required);

/* The context owns a CUDA stream and the device buffers of execute_host. */
SRD_TRT_API srd_status srd_execution_context_create(srd_engine* engine, srd_execution_context** out_context);
SRD_TRT_API srd_status srd_execution_context_destroy(srd_execution_context* context);

/* Selects a profile (call before setting input shapes). */
SRD_TRT_API srd_status srd_execution_context_set_optimization_profile(
    srd_execution_context* context, int32_t profile_index);
SRD_TRT_API srd_status srd_execution_context_set_input_shape(
    srd_execution_context* context, char const* tensor_name, srd_dims const* dims);

/* The resolved shape of a tensor (outputs: after every input shape is set). */
SRD_TRT_API srd_status srd_execution_context_get_tensor_shape(
    srd_execution_context* context, char const* tensor_name, srd_dims* out_dims);

/* Runs once with host buffers: copies inputs to device buffers owned by the context, enqueues, copies outputs back
 * and waits. Every I/O tensor of the engine must be given exactly once. An output buffer smaller than its resolved
 * size gives SRD_STATUS_BUFFER_TOO_SMALL (the message has the required size); written_bytes is set on success. */
SRD_TRT_API srd_status srd_execution_context_execute_host(
    srd_execution_context* context, srd_host_tensor* tensors, int32_t count);

#endif /* SRD_TRT_H */
