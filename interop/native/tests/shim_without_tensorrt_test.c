/*
 * Checks the real shim from a C program. Run by ctest with SRDEPLOY_TENSORRT_LIB_DIR pointing at a folder that does
 * not exist, so the load trace must show that folder first. Without TensorRT on the machine (CI, development) every
 * TensorRT call must return SRD_STATUS_LIBRARY_MISSING with a message naming libnvinfer; with TensorRT, the calls
 * must succeed instead. Either way the answers that need no TensorRT must be right.
 */
#include "srd_trt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int gFailures = 0;

#define CHECK(condition)                                                                                               \
    do                                                                                                                 \
    {                                                                                                                  \
        if (!(condition))                                                                                              \
        {                                                                                                              \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition);                              \
            ++gFailures;                                                                                               \
        }                                                                                                              \
    } while (0)

static char* lastError(void)
{
    uint64_t required = 0;
    char* text = NULL;
    if (srd_error_get_last_message(NULL, 0, &required) != SRD_STATUS_OK)
    {
        return NULL;
    }
    text = (char*) malloc(required);
    if (text != NULL && srd_error_get_last_message(text, required, &required) != SRD_STATUS_OK)
    {
        free(text);
        return NULL;
    }
    return text;
}

static char* loadTrace(void)
{
    uint64_t required = 0;
    char* text = NULL;
    if (srd_library_get_load_trace(NULL, 0, &required) != SRD_STATUS_OK)
    {
        return NULL;
    }
    text = (char*) malloc(required);
    if (text != NULL && srd_library_get_load_trace(text, required, &required) != SRD_STATUS_OK)
    {
        free(text);
        return NULL;
    }
    return text;
}

static int gLogCalls = 0;
static void onLog(void* user, int32_t severity, char const* message)
{
    (void) user;
    (void) severity;
    (void) message;
    ++gLogCalls;
}

int main(void)
{
    int32_t abi = 0;
    srd_library_info info;
    srd_logger* logger = NULL;
    srd_builder* builder = NULL;
    srd_runtime* runtime = NULL;
    srd_status loaded;
    char* trace = NULL;
    char small[4];
    uint64_t required = 0;

    CHECK(srd_abi_get_version(&abi) == SRD_STATUS_OK && abi == SRD_TRT_ABI_VERSION);
    CHECK(srd_abi_get_version(NULL) == SRD_STATUS_INVALID_ARGUMENT);

    memset(&info, 0, sizeof(info));
    CHECK(srd_library_get_info(&info) == SRD_STATUS_OK);
    CHECK(info.abi_version == SRD_TRT_ABI_VERSION);
    CHECK(info.header_tensorrt_version >= 100300);
    CHECK(info.is_test_double == 0);

    CHECK(srd_logger_create(onLog, NULL, SRD_LOG_SEVERITY_INFO, &logger) == SRD_STATUS_OK && logger != NULL);
    CHECK(srd_logger_create(NULL, NULL, SRD_LOG_SEVERITY_INFO, &logger) == SRD_STATUS_INVALID_ARGUMENT);

    trace = loadTrace();
    CHECK(trace != NULL && strstr(trace, "/nonexistent/srd-tensorrt-lib-dir/libnvinfer.so.") != NULL);

    /* Two-call pattern: a short buffer is refused and the required size reported. */
    CHECK(srd_library_get_load_trace(small, sizeof(small), &required) == SRD_STATUS_BUFFER_TOO_SMALL);
    CHECK(trace != NULL && required == strlen(trace) + 1);

    loaded = srd_library_load();
    if (info.tensorrt_loaded == 0)
    {
        char* message = NULL;
        CHECK(loaded == SRD_STATUS_LIBRARY_MISSING);
        message = lastError();
        CHECK(message != NULL && strstr(message, "srd_library_load: ") == message);
        CHECK(message != NULL && strstr(message, "libnvinfer.so.") != NULL);
        CHECK(message != NULL && strstr(message, "install TensorRT") != NULL);
        free(message);

        CHECK(srd_builder_create(&builder) == SRD_STATUS_LIBRARY_MISSING && builder == NULL);
        CHECK(srd_runtime_create(&runtime) == SRD_STATUS_LIBRARY_MISSING && runtime == NULL);
        message = lastError();
        CHECK(message != NULL && strstr(message, "srd_runtime_create: ") == message);
        free(message);
    }
    else
    {
        CHECK(srd_builder_create(&builder) == SRD_STATUS_OK && builder != NULL);
        CHECK(srd_runtime_create(&runtime) == SRD_STATUS_OK && runtime != NULL);
    }
    /* NULL handles are refused, not dereferenced, whether or not TensorRT is present. */
    CHECK(srd_builder_get_platform_info(NULL, NULL) == SRD_STATUS_INVALID_ARGUMENT);
    CHECK(srd_network_create(NULL, 1, NULL) == SRD_STATUS_INVALID_ARGUMENT);
    CHECK(srd_plugin_library_load("/nonexistent/libplugin.so", NULL) == SRD_STATUS_INVALID_ARGUMENT);

    CHECK(srd_runtime_destroy(runtime) == SRD_STATUS_OK);
    CHECK(srd_builder_destroy(builder) == SRD_STATUS_OK);
    CHECK(srd_builder_destroy(NULL) == SRD_STATUS_OK);
    CHECK(srd_logger_destroy(logger) == SRD_STATUS_OK);
    free(trace);

    if (gFailures != 0)
    {
        fprintf(stderr, "%d check(s) failed\n", gFailures);
        return 1;
    }
    printf("srd_trt without TensorRT: all checks passed (TensorRT %s)\n", info.tensorrt_loaded ? "present" : "absent");
    return 0;
}
