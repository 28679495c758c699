/* lwnet's C API: kernel primitives (Gram, HSIC, class mean embeddings) and both methods' models
 * (the closed-form network "kme" and trained networks "backprop") for programs in C and for
 * language bindings. C99; a thin layer over the C++ API (lwnet/lwnet.hpp), holding no algorithm.
 *
 * Conventions, true of every function below unless it says otherwise:
 *
 * Errors. A function that can fail returns an lwnet_status: LWNET_OK (0) or the kind of failure.
 *   No C++ exception ever leaves this API (allocation failures included). The failure's message,
 *   one line naming the function and the argument at fault, is kept per thread:
 *   lwnet_last_error(). Output arguments are written only on success.
 *
 * Ownership. An object made by lwnet_*_create, lwnet_fit or lwnet_model_load belongs to the
 *   caller, who releases it with the matching lwnet_*_free (each accepts NULL). Strings returned
 *   through `const char**` belong to the object they came from and live as long as it does;
 *   those of lwnet_version, lwnet_status_string and lwnet_last_error are described there. lwnet
 *   never keeps a pointer to caller memory after a call returns.
 *
 * Memory. Matrices are views of caller memory (lwnet_matrix): row-major with a leading dimension,
 *   on the host or on a CUDA device. Each function says which memory it accepts; views are
 *   checked (NULL data, negative sizes, ld < cols, the element type, the memory) and a bad one is
 *   LWNET_INVALID_ARGUMENT naming the argument. lwnet copies between the host and the backend's
 *   device as a call needs, and never writes to an input view.
 *
 * Threads. lwnet_last_error is per thread. A backend is used by one thread at a time. CPU
 *   backends are independent of each other; the CUDA backends of one device share lwnet's stream
 *   of that device and count as one (threads using one GPU need the caller's lock). Functions that take a const pointer to a model or a configuration only read it, so several
 *   threads may use one model at the same time (each with its own backend); lwnet_model_free and
 *   lwnet_config_set/free need the object to themselves. Objects may be freed on any thread.
 */
#ifndef LWNET_LWNET_H
#define LWNET_LWNET_H

#include <stddef.h>
#include <stdint.h>

#include "lwnet/export.h"  /* LWNET_API: what the shared library exports */
#include "lwnet/version.h" /* LWNET_VERSION_MAJOR, _MINOR, _PATCH: macros only */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status and errors ------------------------------------------------------------------- */

/* What a call returned. The values are fixed: new kinds are only ever added at the end.
 * lwnet's enumerated types (lwnet_status, lwnet_dtype, lwnet_memory, lwnet_kernel_kind,
 * lwnet_hsic_normalization, lwnet_progress_event) are int32_t with named constants, not C enum
 * types: a value outside the constants (which lwnet refuses) is then well defined in C and C++
 * alike, and the size is the same for every compiler. */
typedef int32_t lwnet_status;
enum {
  LWNET_OK = 0,
  /* A bad argument: a NULL pointer, a bad view, an unknown configuration key or value, data that
   * do not suit the model (lwnet::InvalidArgument). */
  LWNET_INVALID_ARGUMENT = 1,
  /* A file could not be read or written, or is not what it should be (lwnet::IoError). */
  LWNET_IO_ERROR = 2,
  /* A computation met a numerically impossible case, e.g. a training loss that became infinite
   * (lwnet::NumericalError). */
  LWNET_NUMERICAL_ERROR = 3,
  /* A CUDA, cuBLAS or cuSOLVER call failed (lwnet::CudaError). */
  LWNET_CUDA_ERROR = 4,
  /* What was asked for is not available here: no usable GPU, a build without the CUDA backend,
   * scores of a method that has none (lwnet::Unavailable). */
  LWNET_UNAVAILABLE = 5,
  /* The progress callback asked to stop (lwnet::Cancelled). Nothing was returned. */
  LWNET_CANCELLED = 6,
  /* Host or GPU memory ran out (the message says which and how much was asked for). */
  LWNET_OUT_OF_MEMORY = 7,
  /* Anything else: a bug in lwnet. The message says what was caught. */
  LWNET_INTERNAL_ERROR = 8
};

/* The calling thread's message for the last call that returned an lwnet_status: "" when it
 * returned LWNET_OK. Never NULL. The text belongs to lwnet and stays valid until the thread's next
 * call of a function returning lwnet_status (or until the thread ends); copy it to keep it.
 * Functions that return void, a string or a number (the *_free functions, lwnet_version,
 * lwnet_status_string, lwnet_last_error) leave it as it is. */
LWNET_API const char* lwnet_last_error(void);

/* A fixed name for a status ("LWNET_INVALID_ARGUMENT"; "unknown status" for other values), in
 * static storage. Thread-safe. */
LWNET_API const char* lwnet_status_string(lwnet_status status);

/* ---- version ------------------------------------------------------------------------------- */

/* The library's version at run time, "MAJOR.MINOR.PATCH" (compare LWNET_VERSION_MAJOR/MINOR/PATCH,
 * the version a program was compiled against). Static storage. Thread-safe. */
LWNET_API const char* lwnet_version(void);

/* ---- matrices: views of caller memory --------------------------------------------------------- */

typedef int32_t lwnet_dtype;
enum {
  LWNET_FLOAT32 = 0, /* float: every data matrix and every matrix lwnet writes */
  LWNET_FLOAT64 = 1, /* double: refused where float32 is needed (convert first; lwnet computes
                        in float32 with float64 sums) */
  LWNET_INT32 = 2    /* int32_t */
};

typedef int32_t lwnet_memory;
enum {
  LWNET_MEMORY_HOST = 0, /* ordinary (or page-locked) host memory */
  LWNET_MEMORY_CUDA = 1  /* memory of CUDA device `device` (cudaMalloc and friends) */
};

/* A rows x cols matrix in caller memory: element (i, j) is at data[i * ld + j] (elements of
 * `dtype`, not bytes); ld >= cols. lwnet reads an input view during the call only and never
 * writes to it (data is not const so that one struct serves inputs and outputs). */
typedef struct lwnet_matrix {
  void* data;
  int64_t rows;
  int64_t cols;
  int64_t ld; /* leading dimension, in elements */
  lwnet_dtype dtype;
  lwnet_memory memory;
  int32_t device; /* CUDA device ordinal for LWNET_MEMORY_CUDA; 0 for the host */
} lwnet_matrix;

/* A dense (ld == cols) host view: the usual way to describe a C array. */
static inline lwnet_matrix lwnet_matrix_host(const void* data, int64_t rows, int64_t cols, lwnet_dtype dtype) {
  lwnet_matrix m;
  m.data = (void*)data; /* inputs are never written: see above */
  m.rows = rows;
  m.cols = cols;
  m.ld = cols;
  m.dtype = dtype;
  m.memory = LWNET_MEMORY_HOST;
  m.device = 0;
  return m;
}

/* ---- backends ---------------------------------------------------------------------------------- */

/* Where computation runs: the CPU or one CUDA device. Opaque. */
typedef struct lwnet_backend lwnet_backend;

/* Makes a backend for `device`: "cpu", "cuda" (device 0), "cuda:N", "gpu", "gpu:N" or "auto" (CUDA
 * device 0 when usable, else the CPU; lwnet_backend_reason says why), case-insensitive. Opening a
 * CUDA device loads lwnet's CUDA backend module; "cpu" never does.
 * Errors: LWNET_INVALID_ARGUMENT (unknown text), LWNET_UNAVAILABLE (a CUDA device was asked for
 * and cannot be used; the message says why), LWNET_CUDA_ERROR. Thread-safe. */
LWNET_API lwnet_status lwnet_backend_create(const char* device, lwnet_backend** out);

/* Makes a backend on CUDA device `device` that queues all its work on the caller's `stream` (a
 * cudaStream_t the caller created on that device, passed as void*): its kernels, its cuBLAS and
 * cuSOLVER calls, its copies and its stream-ordered allocations. The stream must outlive the
 * backend and every matrix made with it; NULL (the legacy default stream), cudaStreamLegacy and
 * cudaStreamPerThread are refused. Work on this backend follows work the caller queued on `stream`
 * before it; calls that return host values (HSIC, a fit's model) wait for the stream.
 * Errors: LWNET_INVALID_ARGUMENT (a refused stream, a negative device), LWNET_UNAVAILABLE (no
 * CUDA backend in this build or on this machine, or the device cannot be used: the message says
 * why), LWNET_CUDA_ERROR. */
LWNET_API lwnet_status lwnet_backend_create_on_stream(int32_t device, void* stream, lwnet_backend** out);

/* The CUDA stream a CUDA backend queues its work on (lwnet's own stream of the device, or the
 * caller's), as a cudaStream_t in *stream, for the caller to order its own work after lwnet's.
 * Errors: LWNET_INVALID_ARGUMENT for a CPU backend. */
LWNET_API lwnet_status lwnet_backend_stream(lwnet_backend* backend, void** stream);

/* Releases a backend (NULL: nothing). Models made with it stay valid: they live in host memory. */
LWNET_API void lwnet_backend_free(lwnet_backend* backend);

/* One line describing the backend, e.g. "cpu (OpenBLAS 0.3.21, 16 threads)" or "cuda:0 (NVIDIA
 * H100 80GB HBM3, sm_90)". The text belongs to the backend. */
LWNET_API lwnet_status lwnet_backend_description(const lwnet_backend* backend, const char** out);

/* Why this device was chosen (for "auto": why CUDA was or was not used). Belongs to the backend. */
LWNET_API lwnet_status lwnet_backend_reason(const lwnet_backend* backend, const char** out);

/* The memory the backend computes in: LWNET_MEMORY_HOST for the CPU, LWNET_MEMORY_CUDA and the
 * device ordinal for a GPU. Views in that memory are used in place; host views are copied to it. */
LWNET_API lwnet_status lwnet_backend_memory(const lwnet_backend* backend, lwnet_memory* memory, int32_t* device);

/* ---- kernels ---------------------------------------------------------------------------------- */

/* The kernel functions:
 *   gaussian    k(a, b) = exp(-||a - b||^2 / (2 sigma^2))
 *   linear      k(a, b) = a . b
 *   polynomial  k(a, b) = (gamma a . b + coef0)^degree
 *   laplacian   k(a, b) = exp(-||a - b||_1 / sigma) */
typedef int32_t lwnet_kernel_kind;
enum {
  LWNET_KERNEL_GAUSSIAN = 0,
  LWNET_KERNEL_LINEAR = 1,
  LWNET_KERNEL_POLYNOMIAL = 2,
  LWNET_KERNEL_LAPLACIAN = 3
};

/* A kernel and its parameters; the fields a kind does not use are ignored. Out-of-range values
 * (sigma <= 0, degree outside [1, 64], non-finite numbers) are LWNET_INVALID_ARGUMENT. */
typedef struct lwnet_kernel {
  lwnet_kernel_kind kind;
  double sigma;   /* gaussian, laplacian: width, > 0 */
  double gamma;   /* polynomial: scale of a . b */
  double coef0;   /* polynomial: offset */
  int32_t degree; /* polynomial: integer power in [1, 64] */
} lwnet_kernel;

/* Kernels by kind: lwnet_kernel_make sets every field; the others set their kind's parameters and
 * the C++ API's defaults (lwnet::GramParams) for the rest. */
static inline lwnet_kernel lwnet_kernel_make(lwnet_kernel_kind kind, double sigma, double gamma, double coef0,
                                             int32_t degree) {
  lwnet_kernel k;
  k.kind = kind;
  k.sigma = sigma;
  k.gamma = gamma;
  k.coef0 = coef0;
  k.degree = degree;
  return k;
}
static inline lwnet_kernel lwnet_kernel_gaussian(double sigma) {
  return lwnet_kernel_make(LWNET_KERNEL_GAUSSIAN, sigma, 1.0, 1.0, 2);
}
static inline lwnet_kernel lwnet_kernel_laplacian(double sigma) {
  return lwnet_kernel_make(LWNET_KERNEL_LAPLACIAN, sigma, 1.0, 1.0, 2);
}
static inline lwnet_kernel lwnet_kernel_linear(void) { return lwnet_kernel_make(LWNET_KERNEL_LINEAR, 1.0, 1.0, 0.0, 1); }
static inline lwnet_kernel lwnet_kernel_polynomial(int32_t degree, double gamma, double coef0) {
  return lwnet_kernel_make(LWNET_KERNEL_POLYNOMIAL, 1.0, gamma, coef0, degree);
}

/* The kernel functions below compute on `backend`. Their matrix arguments are float32 views in
 * host memory or in the backend's device memory; a host view given to a GPU backend is copied to
 * the device (and an output copied back) within the call. The backend's work is complete when
 * they return. Values are float32 with float64 sums across tiles (docs/DESIGN.md); the results
 * are those of the C++ API (lwnet/ops.hpp) on the same data, bit for bit. NaN or infinite inputs
 * are LWNET_INVALID_ARGUMENT. */

/* out (m x n) = K(Z, X) for Z (m x d) and X (n x d): the Gram matrix, materialised. When Z and X
 * are the same view, the diagonal of a Gaussian or Laplacian kernel is exactly 1. */
LWNET_API lwnet_status lwnet_gram(lwnet_backend* backend, const lwnet_matrix* Z, const lwnet_matrix* X, const lwnet_kernel* kernel,
                        const lwnet_matrix* out);

/* How HSIC is normalised: both divide tr(KHLH) by norms of the centred kernels. */
typedef int32_t lwnet_hsic_normalization;
enum {
  LWNET_HSIC_NONE = 0,     /* normalized = hsic */
  LWNET_HSIC_CODE = 1,     /* ||HK||_F ||HL||_F (the reference implementation's; the usual choice) */
  LWNET_HSIC_TEXTBOOK = 2  /* ||HKH||_F ||HLH||_F */
};

typedef struct lwnet_hsic_result {
  double hsic;       /* tr(K H L H), biased, without the 1/(n-1)^2 constant */
  double normalized; /* hsic / (norm_k norm_l); hsic itself for LWNET_HSIC_NONE */
  double norm_k;     /* ||HK||_F (code) or ||HKH||_F (textbook); 0 for none */
  double norm_l;     /* the same for L */
  int32_t constant_kernel; /* 1: a kernel is constant on the data at float32 precision (e.g. sigma
                              far above every distance), and normalized is reported as 0 */
} lwnet_hsic_result;

/* HSIC between the kernel on X (n x d) and the labels' kernel L = Y Y^T (one-hot Y), without an
 * n x n buffer. `labels` is a host array of `count` == n class indices in [0, num_classes).
 * A single class with a normalisation is LWNET_INVALID_ARGUMENT (the labels' centred norm is 0). */
LWNET_API lwnet_status lwnet_hsic_labels(lwnet_backend* backend, const lwnet_matrix* X, const int32_t* labels, int64_t count,
                               int32_t num_classes, const lwnet_kernel* kernel,
                               lwnet_hsic_normalization normalization, lwnet_hsic_result* out);

/* HSIC between kx on X (n x dx) and ky on Y (n x dy), streamed (no n x n buffer). */
LWNET_API lwnet_status lwnet_hsic(lwnet_backend* backend, const lwnet_matrix* X, const lwnet_kernel* kx, const lwnet_matrix* Y,
                        const lwnet_kernel* ky, lwnet_hsic_normalization normalization, lwnet_hsic_result* out);

/* Class-wise kernel mean embeddings of X (n x d) evaluated at Z (m x d):
 * out (m x num_classes)(a, j) = (1 / n_j) sum_{i in class j} k(x_i, z_a). `labels` as in
 * lwnet_hsic_labels (count == n); every class needs a sample. */
LWNET_API lwnet_status lwnet_class_mean_embeddings(lwnet_backend* backend, const lwnet_matrix* Z, const lwnet_matrix* X,
                                         const int32_t* labels, int64_t count, int32_t num_classes,
                                         const lwnet_kernel* kernel, const lwnet_matrix* out);

/* The median heuristic for a Gaussian width: the median pairwise Euclidean distance between the
 * rows of a random subsample of min(n, sample_size) rows of X (sample_size >= 2; 200 is lwnet's
 * default), drawn with `seed`. */
LWNET_API lwnet_status lwnet_median_sigma(lwnet_backend* backend, const lwnet_matrix* X, uint64_t seed, int64_t sample_size,
                                double* out);

/* ---- training configuration --------------------------------------------------------------------- */

/* How to fit a model: the method and its options. Opaque. */
typedef struct lwnet_config lwnet_config;

/* A configuration with the defaults of `lwnet train` for `method`: "kme" (the closed-form
 * layer-wise network), a network trained by SGD or Adam with a learning rule: "backprop",
 * "align-zero", "align-ada", "align-prop", "fa", "dfa" or "last-layer", or one trained layer by
 * layer on a local kernel loss: "dgl", "hsic-bottleneck" (each with its own defaults;
 * docs/EMBEDDING.md, docs/DGL.md).
 * Errors: LWNET_INVALID_ARGUMENT for another method. */
LWNET_API lwnet_status lwnet_config_create(const char* method, lwnet_config** out);

/* Releases a configuration (NULL: nothing). Models fitted with it do not need it. */
LWNET_API void lwnet_config_free(lwnet_config* config);

/* Sets one option, named and spelt as the `lwnet train` flag without its dashes, the value as text
 * read as the command line reads it (a whole decimal number within the option's range; no "0x10",
 * "nan" or trailing text). The keys of each method (see `lwnet train --help` for their meaning):
 *   both:     seed (0 to 2^64-1), standardize (train | none; kme also separate)
 *   kme:      max-layers, sigma-smallest, sigma-count, hsic-threshold, noise, rho (exact | rff),
 *             extra-columns (on | off), predict (knn | mean | argmax), knn-k,
 *             select (hsic | validation), validation-fraction
 *   trained (backprop and the other rules): arch (dense:WIDTHxDEPTH or conv:WIDTH:S1,S2,..., optionally :bn), epochs, batch-size,
 *             lr (0: the optimiser's default), optimizer (sgd | adam), momentum (sgd only),
 *             weight-decay, init (ntk | standard | torch), loss (cross-entropy | mse), image (HxWxC:
 *             each row is an image in HWC order; conv nets need it)
 *   dgl (and backprop, for dgl-monitor on): dgl-sw2, dgl-sb2, dgl-noise, dgl-targets
 *             (centred | one-hot), dgl-monitor (on | off)
 *   hsic-bottleneck: hsic-sigma, hsic-beta, hsic-output (format | unformatted), readout-epochs,
 *             readout-lr, readout-weight-decay, readout-batch-size
 * Errors (LWNET_INVALID_ARGUMENT, naming the key and the value; the configuration is unchanged):
 * an unknown key, a key of the other method, a value that does not parse or is out of range.
 * Checks that involve several options (momentum with adam, argmax with max-layers 0) or the data
 * (an image shape against the features, k-NN's k against the samples) are made by lwnet_fit. */
LWNET_API lwnet_status lwnet_config_set(lwnet_config* config, const char* key, const char* value);

/* The configuration's method: "kme", "backprop", "align-zero", ... (static storage). */
LWNET_API lwnet_status lwnet_config_method(const lwnet_config* config, const char** out);

/* ---- models --------------------------------------------------------------------------------- */

/* A fitted model of either method: what lwnet_fit returns and lwnet_model_save writes. Opaque;
 * it lives in host memory, so it outlives the backend it was fitted on and may be used with any
 * backend. */
typedef struct lwnet_model lwnet_model;

/* What a progress report is about. */
typedef int32_t lwnet_progress_event;
enum {
  LWNET_PROGRESS_WIDTH = 0,  /* kme: a candidate kernel width of the layer being grown was tried */
  LWNET_PROGRESS_LAYER = 1,  /* kme: a layer was accepted */
  LWNET_PROGRESS_EPOCH = 2,  /* backprop: an epoch ended */
  LWNET_PROGRESS_BATCH = 3   /* backprop: a batch is about to be trained on (host-side, no device
                                wait: returning nonzero here stops a long epoch within one batch) */
};

typedef struct lwnet_progress {
  lwnet_progress_event event;
  int32_t step;     /* kme: the layer (1-based); backprop: the epoch (1-based) */
  int32_t steps;    /* kme: the most layers (max-layers); backprop: the epochs planned */
  int64_t batch;    /* BATCH: the batch (1-based) of `batches`; else 0 */
  int64_t batches;
  double hsic;      /* WIDTH: the width's normalised HSIC; LAYER: the layer's; NaN otherwise */
  double sigma;     /* WIDTH, LAYER: the kernel width; NaN otherwise */
  double loss;      /* EPOCH: the mean training loss; NaN otherwise */
  double accuracy;  /* EPOCH: the training accuracy during the epoch; NaN otherwise */
  double seconds;   /* WIDTH: since the layer began; LAYER: the layer's time; EPOCH: the epoch's */
} lwnet_progress;

/* Called by lwnet_fit on the fitting thread, with the caller's `user_data`. Returning nonzero
 * stops the fit: lwnet_fit then returns LWNET_CANCELLED and no model. The callback must return
 * normally (no longjmp, no C++ exception) and must not call lwnet functions with the fit's
 * backend. `progress` is valid during the call only. */
typedef int (*lwnet_progress_fn)(const lwnet_progress* progress, void* user_data);

/* Fits a model of `config`'s method on X (n x d, float32, host memory or the backend's device,
 * which is copied to the host: the trainers read host data) with `labels`, a host array of
 * `count` == n class indices in [0, num_classes), num_classes >= 2, every class present.
 * `class_names`: NULL (the classes are named "0", "1", ...) or num_classes non-NULL UTF-8 strings,
 * stored in the model (lwnet_model_class_name). `progress` may be NULL.
 * Deterministic for a configuration (its seed) on a backend: on the CPU the same model, bit for
 * bit, as the C++ API's kme::train / net::train give with the same options, at any thread count.
 * Errors: LWNET_INVALID_ARGUMENT (bad views, labels or combination of options, naming them),
 * LWNET_NUMERICAL_ERROR (e.g. a diverging loss: lower lr), LWNET_CANCELLED, LWNET_CUDA_ERROR,
 * LWNET_OUT_OF_MEMORY. *out is set only on success. */
LWNET_API lwnet_status lwnet_fit(lwnet_backend* backend, const lwnet_config* config, const lwnet_matrix* X,
                       const int32_t* labels, int64_t count, int32_t num_classes, const char* const* class_names,
                       lwnet_progress_fn progress, void* user_data, lwnet_model** out);

/* Releases a model (NULL: nothing). */
LWNET_API void lwnet_model_free(lwnet_model* model);

/* The model's method: "kme", "backprop", "align-zero", ... (static storage). */
LWNET_API lwnet_status lwnet_model_method(const lwnet_model* model, const char** out);
/* c, the number of classes. */
LWNET_API lwnet_status lwnet_model_num_classes(const lwnet_model* model, int32_t* out);
/* d, the features of each input row. */
LWNET_API lwnet_status lwnet_model_input_dim(const lwnet_model* model, int64_t* out);
/* The columns lwnet_model_transform writes (see there). */
LWNET_API lwnet_status lwnet_model_output_dim(const lwnet_model* model, int64_t* out);
/* The name of class j (0 <= j < c), as given to lwnet_fit or read from the model file. Belongs to
 * the model. */
LWNET_API lwnet_status lwnet_model_class_name(const lwnet_model* model, int32_t j, const char** out);

/* Prediction. X (m x d) is raw data, as given to lwnet_fit (the model applies its own
 * preprocessing), float32 in host memory or the backend's device; `backend` may be any backend,
 * not only the one the model was fitted on. Output views are float32 in host memory or the
 * backend's device; the backend's work is complete when these functions return. */

/* predictions: a host array of `count` == m class indices in [0, c). */
LWNET_API lwnet_status lwnet_model_predict(lwnet_backend* backend, const lwnet_model* model, const lwnet_matrix* X,
                                 int32_t* predictions, int64_t count);

/* out (m x c): per-class scores whose row-wise maximum (the first one) is the
 * prediction. backprop: the network's outputs (logits; a softmax of a row gives the class
 * probabilities of a cross-entropy model). kme: LWNET_UNAVAILABLE: its predictor (k-NN, nearest
 * class mean) gives no per-class score; use lwnet_model_transform. */
LWNET_API lwnet_status lwnet_model_scores(lwnet_backend* backend, const lwnet_model* model, const lwnet_matrix* X,
                                const lwnet_matrix* out);

/* out (m x lwnet_model_output_dim): the features the model predicts from.
 * kme: the last layer's outputs Z^L (column j < c: the RKHS-normalised class mean embedding of
 * class j at the row; then the extra columns; with no layer: the preprocessed input).
 * backprop: the network's outputs (logits, m x c), as lwnet_model_scores. */
LWNET_API lwnet_status lwnet_model_transform(lwnet_backend* backend, const lwnet_model* model, const lwnet_matrix* X,
                                   const lwnet_matrix* out);

/* Writes the model to `path` (safetensors layout, as `lwnet train --out`): a temporary file in the
 * same folder renamed over `path` once complete, so `path` is never left half-written.
 * Errors: LWNET_IO_ERROR naming the file. */
LWNET_API lwnet_status lwnet_model_save(const lwnet_model* model, const char* path);

/* Reads a model of either method saved by lwnet_model_save or `lwnet train --out`.
 * Errors: LWNET_IO_ERROR naming the file (missing, not an lwnet model, damaged). */
LWNET_API lwnet_status lwnet_model_load(const char* path, lwnet_model** out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* LWNET_LWNET_H */
