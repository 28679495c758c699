/* lwnet from C: read a labelled CSV data set (by default the UCI Wine data committed in
 * data/wine), print the normalised HSIC between its features and its labels, then fit the
 * closed-form network (kme) and a small trained network (backprop) on three quarters of it and
 * print their accuracy on the remaining quarter.
 *
 *   fit_and_predict FEATURES.csv LABELS.csv
 *
 * FEATURES.csv: one sample per line, comma-separated numbers, no header. LABELS.csv: one integer
 * class per line, 1..c or 0..c-1. The `result` lines are for machines: examples/cpp and
 * examples/python print the same figures for the same data and seeds
 * (cmake/RunExamplesTest.cmake compares them, and the lwnet tool's). Build: link lwnet::lwnet
 * (CMake: examples/c/CMakeLists.txt) and include <lwnet/lwnet.h>. */
#include <lwnet/lwnet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kMaxRows = 4096, kMaxCols = 64 };

/* Stops the program with lwnet's message when a call fails. */
static void check(lwnet_status status, const char* what) {
  if (status != LWNET_OK) {
    fprintf(stderr, "fit_and_predict: %s: %s (%s)\n", what, lwnet_last_error(), lwnet_status_string(status));
    exit(1);
  }
}

/* Reads up to kMaxRows rows of comma-separated numbers into X; returns the rows, sets *cols. */
static int64_t read_features(const char* path, float* X, int64_t* cols) {
  FILE* f = fopen(path, "r");
  char line[1 << 14];
  int64_t rows = 0;
  if (f == NULL) {
    fprintf(stderr, "fit_and_predict: %s: cannot open\n", path);
    exit(1);
  }
  *cols = 0;
  while (rows < kMaxRows && fgets(line, sizeof line, f) != NULL) {
    int64_t c = 0;
    char* cell = strtok(line, ",\r\n");
    for (; cell != NULL && c < kMaxCols; cell = strtok(NULL, ",\r\n")) X[rows * kMaxCols + c++] = strtof(cell, NULL);
    if (c == 0) continue;
    if (*cols == 0) *cols = c;
    if (c != *cols) {
      fprintf(stderr, "fit_and_predict: %s:%lld: %lld cells, expected %lld\n", path, (long long)rows + 1,
              (long long)c, (long long)*cols);
      exit(1);
    }
    ++rows;
  }
  fclose(f);
  return rows;
}

/* Reads one integer label per line; returns how many. */
static int64_t read_labels(const char* path, int32_t* labels) {
  FILE* f = fopen(path, "r");
  int64_t n = 0;
  long value = 0;
  if (f == NULL) {
    fprintf(stderr, "fit_and_predict: %s: cannot open\n", path);
    exit(1);
  }
  while (n < kMaxRows && fscanf(f, "%ld", &value) == 1) labels[n++] = (int32_t)value;
  fclose(f);
  return n;
}

/* Fits `config` on the training rows, predicts the test rows and prints the accuracy, and the
 * predicted labels as the labels file names them (index + label_offset). */
static void fit_and_report(lwnet_backend* backend, lwnet_config* config, const lwnet_matrix* train,
                           const int32_t* train_labels, const lwnet_matrix* test, const int32_t* test_labels,
                           int32_t classes, int64_t label_offset) {
  lwnet_model* model = NULL;
  const char* method = NULL;
  int32_t* predicted = malloc(sizeof(int32_t) * (size_t)test->rows);
  int64_t i, correct = 0;
  double accuracy;
  check(lwnet_config_method(config, &method), "config");
  check(lwnet_fit(backend, config, train, train_labels, train->rows, classes, NULL, NULL, NULL, &model), "fit");
  check(lwnet_model_predict(backend, model, test, predicted, test->rows), "predict");
  for (i = 0; i < test->rows; ++i) correct += predicted[i] == test_labels[i];
  accuracy = (double)correct / (double)test->rows;
  printf("%-9s test accuracy %.4f on %lld samples\n", method, accuracy, (long long)test->rows);
  printf("result %s accuracy=%.17g predictions=", method, accuracy);
  for (i = 0; i < test->rows; ++i) printf(i == 0 ? "%lld" : ",%lld", (long long)(predicted[i] + label_offset));
  printf("\n");
  lwnet_model_free(model);
  free(predicted);
}

int main(int argc, char** argv) {
  static float data[kMaxRows * kMaxCols];
  static int32_t labels[kMaxRows];
  static float train_x[kMaxRows * kMaxCols], test_x[kMaxRows * kMaxCols];
  static int32_t train_y[kMaxRows], test_y[kMaxRows];
  int64_t n, d, i, n_train = 0, n_test = 0, min_label = 0;
  int32_t classes = 0;
  lwnet_backend* backend = NULL;
  lwnet_config* config = NULL;
  const char* description = NULL;
  lwnet_matrix X, train, test;
  lwnet_kernel kernel;
  lwnet_hsic_result hsic;
  double sigma = 0.0;

  if (argc != 3) {
    fprintf(stderr, "usage: fit_and_predict FEATURES.csv LABELS.csv\n");
    return 2;
  }
  n = read_features(argv[1], data, &d);
  if (read_labels(argv[2], labels) != n || n < 8) {
    fprintf(stderr, "fit_and_predict: %s: expected one label for each of the %lld rows of %s\n", argv[2],
            (long long)n, argv[1]);
    return 1;
  }
  min_label = labels[0];
  for (i = 1; i < n; ++i)
    if (labels[i] < min_label) min_label = labels[i];
  for (i = 0; i < n; ++i) {
    labels[i] -= (int32_t)min_label; /* 1..c becomes 0..c-1 */
    if (labels[i] + 1 > classes) classes = labels[i] + 1;
  }

  check(lwnet_backend_create("auto", &backend), "backend");
  check(lwnet_backend_description(backend, &description), "backend");
  printf("lwnet %s on %s\n", lwnet_version(), description);

  /* The rows as they lie in `data`: kMaxCols apart, a leading dimension larger than d. */
  X = lwnet_matrix_host(data, n, d, LWNET_FLOAT32);
  X.ld = kMaxCols;
  check(lwnet_median_sigma(backend, &X, 0, 200, &sigma), "median sigma");
  kernel = lwnet_kernel_gaussian(sigma);
  check(lwnet_hsic_labels(backend, &X, labels, n, classes, &kernel, LWNET_HSIC_CODE, &hsic), "hsic");
  printf("data    %lld samples x %lld features, %d classes\n", (long long)n, (long long)d, classes);
  printf("HSIC    normalised %.4f (Gaussian kernel, median width %.4g, raw features)\n", hsic.normalized, sigma);
  printf("result hsic=%.17g sigma=%.17g\n", hsic.normalized, sigma);

  /* Every fourth sample is held out. */
  for (i = 0; i < n; ++i) {
    if (i % 4 == 3) {
      memcpy(&test_x[n_test * d], &data[i * kMaxCols], sizeof(float) * (size_t)d);
      test_y[n_test++] = labels[i];
    } else {
      memcpy(&train_x[n_train * d], &data[i * kMaxCols], sizeof(float) * (size_t)d);
      train_y[n_train++] = labels[i];
    }
  }
  train = lwnet_matrix_host(train_x, n_train, d, LWNET_FLOAT32);
  test = lwnet_matrix_host(test_x, n_test, d, LWNET_FLOAT32);

  check(lwnet_config_create("kme", &config), "config");
  check(lwnet_config_set(config, "seed", "1"), "config");
  fit_and_report(backend, config, &train, train_y, &test, test_y, classes, min_label);
  lwnet_config_free(config);

  check(lwnet_config_create("backprop", &config), "config");
  check(lwnet_config_set(config, "arch", "dense:64x1"), "config");
  check(lwnet_config_set(config, "epochs", "30"), "config");
  check(lwnet_config_set(config, "batch-size", "16"), "config");
  check(lwnet_config_set(config, "seed", "1"), "config");
  fit_and_report(backend, config, &train, train_y, &test, test_y, classes, min_label);
  lwnet_config_free(config);

  lwnet_backend_free(backend);
  return 0;
}
