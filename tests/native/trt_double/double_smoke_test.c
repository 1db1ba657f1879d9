/*
 * Drives the recording double through srd_trt.h from C (and, in the sanitize preset, under AddressSanitizer and
 * UndefinedBehaviorSanitizer): a build with a profile, a run, an injected failure, an injected exception, a double
 * destroy, and the handle counts after each. The C# tests cover the same ground through the managed wrapper; this
 * one exists so the double's own memory handling runs under the sanitizers.
 */
#include "srd_trt.h"
#include "srd_trt_double.h"

#include <stdio.h>
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

static int gMessages = 0;
static void onLog(void* user, int32_t severity, char const* message)
{
    (void) user;
    (void) severity;
    if (strstr(message, "built plan of") != NULL)
    {
        ++gMessages;
    }
}

static srd_dims dims4(int64_t n, int64_t c, int64_t h, int64_t w)
{
    srd_dims d;
    memset(&d, 0, sizeof(d));
    d.nb_dims = 4;
    d.d[0] = n;
    d.d[1] = c;
    d.d[2] = h;
    d.d[3] = w;
    return d;
}

static void buildAndRun(char const* modelPath)
{
    srd_builder* builder = NULL;
    srd_network* network = NULL;
    srd_onnx_parser* parser = NULL;
    srd_builder_config* config = NULL;
    srd_optimization_profile* profile = NULL;
    srd_host_memory* plan = NULL;
    srd_runtime* runtime = NULL;
    srd_engine* engine = NULL;
    srd_execution_context* context = NULL;
    srd_dims min = dims4(1, 3, 8, 8);
    srd_dims opt = dims4(1, 3, 16, 16);
    srd_dims max = dims4(1, 3, 32, 32);
    srd_dims shape = dims4(1, 3, 2, 2);
    void const* planData = NULL;
    uint64_t planSize = 0;
    int32_t index = -1;
    float input[12];
    float output[12];
    srd_host_tensor tensors[2];
    int i;

    CHECK(srd_builder_create(&builder) == SRD_STATUS_OK);
    CHECK(srd_network_create(builder, 1, &network) == SRD_STATUS_OK);
    CHECK(srd_onnx_parser_create(network, &parser) == SRD_STATUS_OK);
    CHECK(srd_onnx_parser_parse_file(parser, modelPath, SRD_LOG_SEVERITY_WARNING) == SRD_STATUS_OK);
    CHECK(srd_onnx_parser_destroy(parser) == SRD_STATUS_OK);
    CHECK(srd_builder_config_create(builder, &config) == SRD_STATUS_OK);
    CHECK(srd_optimization_profile_create(builder, &profile) == SRD_STATUS_OK);
    CHECK(srd_optimization_profile_set_dimensions(profile, "input", &min, &opt, &max) == SRD_STATUS_OK);
    CHECK(srd_builder_config_add_optimization_profile(config, profile, &index) == SRD_STATUS_OK && index == 0);
    CHECK(srd_builder_build(builder, network, config, &plan) == SRD_STATUS_OK);
    CHECK(srd_host_memory_get_data(plan, &planData, &planSize) == SRD_STATUS_OK && planSize > 52);

    CHECK(srd_runtime_create(&runtime) == SRD_STATUS_OK);
    CHECK(srd_runtime_deserialize(runtime, planData, planSize, &engine) == SRD_STATUS_OK);
    CHECK(srd_execution_context_create(engine, &context) == SRD_STATUS_OK);
    shape = dims4(1, 3, 8, 8);
    CHECK(srd_execution_context_set_input_shape(context, "input", &shape) == SRD_STATUS_OK);

    /* 1x3x8x8 needs 768 bytes: a 48-byte buffer is refused before anything is written. */
    for (i = 0; i < 12; ++i)
    {
        input[i] = (float) i;
        output[i] = -1.0F;
    }
    tensors[0].name = "input";
    tensors[0].data = input;
    tensors[0].size_bytes = sizeof(input);
    tensors[0].written_bytes = 0;
    tensors[1].name = "output";
    tensors[1].data = output;
    tensors[1].size_bytes = sizeof(output);
    tensors[1].written_bytes = 0;
    CHECK(srd_execution_context_execute_host(context, tensors, 2) == SRD_STATUS_INVALID_ARGUMENT);
    CHECK(output[0] == -1.0F && tensors[1].written_bytes == 0);

    CHECK(srd_execution_context_destroy(context) == SRD_STATUS_OK);
    CHECK(srd_engine_destroy(engine) == SRD_STATUS_OK);
    CHECK(srd_runtime_destroy(runtime) == SRD_STATUS_OK);
    CHECK(srd_host_memory_destroy(plan) == SRD_STATUS_OK);
    CHECK(srd_optimization_profile_destroy(profile) == SRD_STATUS_OK);
    CHECK(srd_builder_config_destroy(config) == SRD_STATUS_OK);
    CHECK(srd_network_destroy(network) == SRD_STATUS_OK);
    CHECK(srd_builder_destroy(builder) == SRD_STATUS_OK);
}

int main(int argc, char** argv)
{
    srd_double_handle_counts counts;
    srd_logger* logger = NULL;
    srd_builder* builder = NULL;
    uint64_t required = 0;
    char message[256];

    if (argc != 2)
    {
        fprintf(stderr, "usage: %s EXISTING_FILE\n", argv[0]);
        return 2;
    }

    CHECK(srd_double_reset() == SRD_STATUS_OK);
    CHECK(srd_logger_create(onLog, NULL, SRD_LOG_SEVERITY_INFO, &logger) == SRD_STATUS_OK);
    buildAndRun(argv[1]);
    CHECK(gMessages == 1);
    CHECK(srd_logger_destroy(logger) == SRD_STATUS_OK);

    /* Injected failure: the status and message come back, nothing is created. */
    CHECK(srd_double_fail_next("srd_builder_create", SRD_STATUS_RUNTIME_ERROR, "injected") == SRD_STATUS_OK);
    CHECK(srd_builder_create(&builder) == SRD_STATUS_RUNTIME_ERROR && builder == NULL);
    CHECK(srd_error_get_last_message(message, sizeof(message), &required) == SRD_STATUS_OK);
    CHECK(strcmp(message, "srd_builder_create: injected") == 0);

    /* Injected exception (not a std::exception): the guard turns it into INTERNAL. */
    CHECK(srd_double_throw_next("srd_builder_create", 2) == SRD_STATUS_OK);
    CHECK(srd_builder_create(&builder) == SRD_STATUS_INTERNAL && builder == NULL);

    /* Double destroy is detected and refused. */
    CHECK(srd_builder_create(&builder) == SRD_STATUS_OK);
    CHECK(srd_builder_destroy(builder) == SRD_STATUS_OK);
    CHECK(srd_builder_destroy(builder) == SRD_STATUS_INVALID_ARGUMENT);

    CHECK(srd_double_get_handle_counts(&counts) == SRD_STATUS_OK);
    CHECK(counts.live == 0);
    CHECK(counts.created == counts.destroyed);
    CHECK(counts.double_destroys == 1);
    CHECK(counts.created == 11);
    CHECK(srd_double_get_log(NULL, 0, &required) == SRD_STATUS_OK && required > 100);
    CHECK(srd_double_reset() == SRD_STATUS_OK);

    if (gFailures != 0)
    {
        fprintf(stderr, "%d check(s) failed\n", gFailures);
        return 1;
    }
    printf("recording double: all checks passed\n");
    return 0;
}
