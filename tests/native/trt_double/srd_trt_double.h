/*
 * srd_trt_double.h: the test-only controls of libsrd_trt_test_double.so, a recording test double that implements the
 * whole of srd_trt.h without TensorRT (see README.md beside this file). Never shipped next to the CLI.
 */
#ifndef SRD_TRT_DOUBLE_H
#define SRD_TRT_DOUBLE_H

#include "srd_trt.h"

/* Handle bookkeeping since the last reset. */
typedef struct srd_double_handle_counts
{
    int64_t created;
    int64_t destroyed;
    int64_t live;
    int64_t double_destroys;   /* destroy of a handle already destroyed */
    int64_t unknown_handles;   /* a pointer the double never handed out (or handed out before a reset) */
    int64_t use_after_destroy; /* a destroyed handle passed to any other call */
} srd_double_handle_counts;

/* Forgets every call, handle (freeing them), injected failure and setting. */
SRD_TRT_API srd_status srd_double_reset(void);

/* JSON: {"calls":[{"seq":1,"function":"srd_builder_create","args":{...},"status":0,"message":""},...],
 *        "handles":{...counts...,"live_handles":[{"type":"builder","id":"builder#1","created_by":"..."}]}}
 * (two-call string). */
SRD_TRT_API srd_status srd_double_get_log(char* buffer, uint64_t buffer_size, uint64_t* out_required);

SRD_TRT_API srd_status srd_double_get_handle_counts(srd_double_handle_counts* out_counts);

/* The next call of `function` (e.g. "srd_builder_build") fails with `status` and `message`, creating nothing.
 * Queued per function; each injection is used once. */
SRD_TRT_API srd_status srd_double_fail_next(char const* function, srd_status status, char const* message);

/* The next call of `function` throws inside the double: kind 0 std::runtime_error, 1 std::bad_alloc, 2 an int (not
 * a std::exception), to show the boundary guard turns each into a status. */
SRD_TRT_API srd_status srd_double_throw_next(char const* function, int32_t kind);

/* The TensorRT version the double pretends to be (default 10.16.0 build 72): drives the version-dependent answers
 * (UNSUPPORTED precision flags on 11.x, no kSAME_COMPUTE_CAPABILITY before 10.9, ...) and the plan header. */
SRD_TRT_API srd_status srd_double_set_tensorrt_version(int32_t version, int32_t build);

/* missing != 0: every call needing TensorRT returns SRD_STATUS_LIBRARY_MISSING, as the real shim does without it.
 */
SRD_TRT_API srd_status srd_double_set_library_missing(int32_t missing);

/* Queues an error the next parse reports (the parse then fails with SRD_STATUS_PARSE_FAILED). */
SRD_TRT_API srd_status srd_double_add_parser_error(
    int32_t code, char const* description, int32_t node_index, char const* node_name, char const* node_operator);

/* Logs a message from a new thread (as TensorRT's builder threads do) and waits for it. */
SRD_TRT_API srd_status srd_double_log_from_worker_thread(srd_log_severity severity, char const* message);

#endif /* SRD_TRT_DOUBLE_H */
