/* The C API from C99 (compiled with -std=c99 -pedantic -Werror, so lwnet.h is checked as C too):
 * every entry point once on a small inline problem whose answers are known, and the error paths a
 * C caller meets. Exits 0 when every check holds; prints each failure. */
#include "lwnet/lwnet.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: %s\n", __FILE__, __LINE__, #cond, \
              lwnet_last_error());                                                    \
      ++failures;                                                                     \
    }                                                                                 \
  } while (0)

#define CHECK_OK(call) CHECK((call) == LWNET_OK)

/* Two well-separated clusters of 12 points each in 3 dimensions (class 0 near the origin, class 1
 * near (5, 5, 5)), deterministic. */
enum { kRows = 24, kCols = 3 };
static float g_x[kRows * kCols];
static int32_t g_labels[kRows];

static void make_data(void) {
  int i;
  for (i = 0; i < kRows; ++i) {
    const int cls = i % 2;
    g_labels[i] = cls;
    g_x[i * kCols + 0] = (float)(5 * cls) + 0.1f * (float)(i % 5);
    g_x[i * kCols + 1] = (float)(5 * cls) - 0.07f * (float)(i % 3);
    g_x[i * kCols + 2] = (float)(5 * cls) + 0.05f * (float)(i % 7);
  }
}

static int count_epochs(const lwnet_progress* progress, void* user_data) {
  if (progress->event == LWNET_PROGRESS_EPOCH) ++*(int*)user_data;
  return 0;
}

static void check_kernels(lwnet_backend* backend) {
  /* Linear kernel on small integers: exact. */
  const float z[2 * 2] = {1, 2, 3, 4};
  float gram[2 * 2];
  const lwnet_matrix zm = lwnet_matrix_host(z, 2, 2, LWNET_FLOAT32);
  const lwnet_matrix gm = lwnet_matrix_host(gram, 2, 2, LWNET_FLOAT32);
  const lwnet_kernel linear = lwnet_kernel_linear();
  const lwnet_kernel gaussian = lwnet_kernel_gaussian(1.0);
  const lwnet_matrix x = lwnet_matrix_host(g_x, kRows, kCols, LWNET_FLOAT32);
  lwnet_hsic_result hsic;
  float embeddings[kRows * 2];
  const lwnet_matrix em = lwnet_matrix_host(embeddings, kRows, 2, LWNET_FLOAT32);
  double sigma = 0.0;

  CHECK_OK(lwnet_gram(backend, &zm, &zm, &linear, &gm));
  CHECK(gram[0] == 5.0f && gram[1] == 11.0f && gram[2] == 11.0f && gram[3] == 25.0f);

  CHECK_OK(lwnet_hsic_labels(backend, &x, g_labels, kRows, 2, &gaussian, LWNET_HSIC_CODE, &hsic));
  CHECK(hsic.normalized > 0.9 && hsic.normalized <= 1.0 + 1e-9 && hsic.constant_kernel == 0);
  CHECK_OK(lwnet_hsic(backend, &x, &gaussian, &x, &gaussian, LWNET_HSIC_NONE, &hsic));
  CHECK(hsic.hsic > 0.0 && hsic.normalized == hsic.hsic);

  CHECK_OK(lwnet_class_mean_embeddings(backend, &x, &x, g_labels, kRows, 2, &gaussian, &em));
  CHECK(embeddings[0] > embeddings[1]); /* row 0 is class 0: nearer its own class's mean */
  CHECK_OK(lwnet_median_sigma(backend, &x, 3, 200, &sigma));
  CHECK(sigma > 0.0);
}

static void check_fit(lwnet_backend* backend, const char* method, const char* model_path) {
  lwnet_config* config = NULL;
  lwnet_model* model = NULL;
  lwnet_model* loaded = NULL;
  const lwnet_matrix x = lwnet_matrix_host(g_x, kRows, kCols, LWNET_FLOAT32);
  const char* names[2] = {"near", "far"};
  int32_t predictions[kRows];
  int32_t reloaded[kRows];
  int32_t classes = 0;
  int64_t input_dim = 0, output_dim = 0;
  const char* text = NULL;
  int epochs = 0;
  int i, correct = 0;
  float features[kRows * 8];
  lwnet_matrix fm;

  CHECK_OK(lwnet_config_create(method, &config));
  CHECK_OK(lwnet_config_method(config, &text));
  CHECK(strcmp(text, method) == 0);
  CHECK_OK(lwnet_config_set(config, "seed", "4"));
  if (strcmp(method, "kme") == 0) {
    CHECK_OK(lwnet_config_set(config, "knn-k", "3"));
  } else {
    CHECK_OK(lwnet_config_set(config, "arch", "dense:8x1"));
    CHECK_OK(lwnet_config_set(config, "epochs", "20"));
    CHECK_OK(lwnet_config_set(config, "batch-size", "8"));
  }
  CHECK(lwnet_config_set(config, "no-such-key", "1") == LWNET_INVALID_ARGUMENT);
  CHECK(strstr(lwnet_last_error(), "no-such-key") != NULL);

  CHECK_OK(lwnet_fit(backend, config, &x, g_labels, kRows, 2, names, count_epochs, &epochs, &model));
  CHECK(strcmp(method, "kme") == 0 ? epochs == 0 : epochs == 20);
  CHECK_OK(lwnet_model_predict(backend, model, &x, predictions, kRows));
  for (i = 0; i < kRows; ++i) correct += predictions[i] == g_labels[i];
  CHECK(correct == kRows);

  CHECK_OK(lwnet_model_method(model, &text));
  CHECK(strcmp(text, method) == 0);
  CHECK_OK(lwnet_model_num_classes(model, &classes));
  CHECK(classes == 2);
  CHECK_OK(lwnet_model_input_dim(model, &input_dim));
  CHECK(input_dim == kCols);
  CHECK_OK(lwnet_model_class_name(model, 1, &text));
  CHECK(strcmp(text, "far") == 0);
  CHECK_OK(lwnet_model_output_dim(model, &output_dim));
  CHECK(output_dim >= 1 && output_dim <= 8);
  fm = lwnet_matrix_host(features, kRows, output_dim, LWNET_FLOAT32);
  CHECK_OK(lwnet_model_transform(backend, model, &x, &fm));
  if (strcmp(method, "kme") == 0) {
    CHECK(lwnet_model_scores(backend, model, &x, &fm) == LWNET_UNAVAILABLE);
  } else {
    CHECK_OK(lwnet_model_scores(backend, model, &x, &fm));
    CHECK(features[0] > features[1]); /* row 0 is class 0 */
  }

  CHECK_OK(lwnet_model_save(model, model_path));
  CHECK_OK(lwnet_model_load(model_path, &loaded));
  CHECK_OK(lwnet_model_predict(backend, loaded, &x, reloaded, kRows));
  CHECK(memcmp(predictions, reloaded, sizeof predictions) == 0);
  remove(model_path);

  lwnet_model_free(loaded);
  lwnet_model_free(model);
  lwnet_config_free(config);
}

int main(int argc, char** argv) {
  lwnet_backend* backend = NULL;
  lwnet_model* model = NULL;
  const char* text = NULL;
  char version[64];
  char path[4096];
  const char* dir = argc > 1 ? argv[1] : ".";

  make_data();
  snprintf(version, sizeof version, "%d.%d.%d", LWNET_VERSION_MAJOR, LWNET_VERSION_MINOR, LWNET_VERSION_PATCH);
  CHECK(strcmp(version, lwnet_version()) == 0);
  CHECK(strcmp(lwnet_status_string(LWNET_CANCELLED), "LWNET_CANCELLED") == 0);

  CHECK(lwnet_backend_create("quantum", &backend) == LWNET_INVALID_ARGUMENT);
  CHECK(backend == NULL);
  CHECK(strstr(lwnet_last_error(), "quantum") != NULL);
  CHECK_OK(lwnet_backend_create("cpu", &backend));
  CHECK(strcmp(lwnet_last_error(), "") == 0);
  CHECK_OK(lwnet_backend_description(backend, &text));
  CHECK(strncmp(text, "cpu", 3) == 0);
  {
    /* A CPU backend has no CUDA stream; a backend on a stream needs a usable GPU (this test runs
       without one, or with one and a stream it did not create: either way, a clear refusal). */
    void* stream = NULL;
    lwnet_backend* on_stream = NULL;
    CHECK(lwnet_backend_stream(backend, &stream) == LWNET_INVALID_ARGUMENT);
    CHECK(lwnet_backend_create_on_stream(-1, &stream, &on_stream) == LWNET_INVALID_ARGUMENT);
    CHECK(on_stream == NULL);
  }

  check_kernels(backend);
  snprintf(path, sizeof path, "%s/capi_c_test_kme.safetensors", dir);
  check_fit(backend, "kme", path);
  snprintf(path, sizeof path, "%s/capi_c_test_net.safetensors", dir);
  check_fit(backend, "backprop", path);

  CHECK(lwnet_model_load(argv[0], &model) == LWNET_IO_ERROR); /* this program is no model */
  CHECK(model == NULL);

  lwnet_backend_free(backend);
  if (failures == 0) printf("lwnet C API: all checks passed (lwnet %s)\n", lwnet_version());
  return failures == 0 ? 0 : 1;
}
