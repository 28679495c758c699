// The C API's boundary: every exception type becomes its status and a one-line message naming the
// function, nothing escapes, and the message is per thread (include/lwnet/lwnet.h, "Errors").
#include <gtest/gtest.h>

#include <new>
#include <stdexcept>
#include <string>
#include <thread>

#include "capi/capi_errors.hpp"
#include "capi_test_data.hpp"

namespace lwnet::capi_test {
namespace {

template <class Exception>
void expect_status(lwnet_status expected, const char* message) {
  const lwnet_status status = capi::guarded("lwnet_probe", [&] { throw Exception(message); });
  EXPECT_EQ(status, expected) << lwnet_status_string(status);
  EXPECT_EQ(std::string(lwnet_last_error()), std::string("lwnet_probe: ") + message);
}

TEST(CApiErrors, EachExceptionTypeHasItsStatus) {
  expect_status<InvalidArgument>(LWNET_INVALID_ARGUMENT, "X: bad");
  expect_status<IoError>(LWNET_IO_ERROR, "f.csv: cannot open");
  expect_status<NumericalError>(LWNET_NUMERICAL_ERROR, "loss became inf");
  expect_status<CudaError>(LWNET_CUDA_ERROR, "cublasSgemm failed");
  expect_status<OutOfMemory>(LWNET_OUT_OF_MEMORY, "out of GPU memory on cuda:0");
  expect_status<Unavailable>(LWNET_UNAVAILABLE, "no GPU");
  expect_status<Cancelled>(LWNET_CANCELLED, "stopped");
  expect_status<Error>(LWNET_INTERNAL_ERROR, "potrf: dpotrf rejected argument 4");
  expect_status<std::runtime_error>(LWNET_INTERNAL_ERROR, "something else");

  EXPECT_EQ(capi::guarded("lwnet_probe", [] { throw std::bad_alloc(); }), LWNET_OUT_OF_MEMORY);
  EXPECT_STREQ(lwnet_last_error(), "lwnet_probe: out of host memory");
  EXPECT_EQ(capi::guarded("lwnet_probe", [] { throw 42; }), LWNET_INTERNAL_ERROR);
  EXPECT_STREQ(lwnet_last_error(), "lwnet_probe: an exception that is not a std::exception");
}

TEST(CApiErrors, ASuccessfulCallClearsTheMessage) {
  lwnet_backend* backend = nullptr;
  EXPECT_EQ(lwnet_backend_create("tpu", &backend), LWNET_INVALID_ARGUMENT);
  EXPECT_NE(std::string(lwnet_last_error()).find("lwnet_backend_create: "), std::string::npos);
  EXPECT_EQ(backend, nullptr);  // outputs are written only on success
  ASSERT_EQ(lwnet_backend_create("cpu", &backend), LWNET_OK);
  EXPECT_STREQ(lwnet_last_error(), "");
  lwnet_backend_free(backend);
  lwnet_backend_free(nullptr);  // accepted, and leaves the message alone
}

TEST(CApiErrors, FreeingLeavesTheMessage) {
  lwnet_config* config = nullptr;
  EXPECT_EQ(lwnet_config_create("svm", &config), LWNET_INVALID_ARGUMENT);
  const std::string message = lwnet_last_error();
  lwnet_config_free(nullptr);
  lwnet_model_free(nullptr);
  EXPECT_EQ(message, lwnet_last_error());
  EXPECT_NE(message.find("svm"), std::string::npos) << message;
}

TEST(CApiErrors, TheMessageIsPerThread) {
  EXPECT_EQ(lwnet_backend_create("tpu", nullptr), LWNET_INVALID_ARGUMENT);
  const std::string mine = lwnet_last_error();
  std::string other_before;
  std::string other_after;
  std::thread([&] {
    other_before = lwnet_last_error();  // nothing failed on this thread yet
    lwnet_config* config = nullptr;
    EXPECT_EQ(lwnet_config_create("svm", &config), LWNET_INVALID_ARGUMENT);
    other_after = lwnet_last_error();
  }).join();
  EXPECT_EQ(other_before, "");
  EXPECT_NE(other_after.find("lwnet_config_create"), std::string::npos) << other_after;
  EXPECT_EQ(mine, lwnet_last_error());  // the other thread's failure did not touch this thread's
}

TEST(CApiErrors, StatusStringsNameEveryStatus) {
  EXPECT_STREQ(lwnet_status_string(LWNET_OK), "LWNET_OK");
  EXPECT_STREQ(lwnet_status_string(LWNET_INVALID_ARGUMENT), "LWNET_INVALID_ARGUMENT");
  EXPECT_STREQ(lwnet_status_string(LWNET_IO_ERROR), "LWNET_IO_ERROR");
  EXPECT_STREQ(lwnet_status_string(LWNET_NUMERICAL_ERROR), "LWNET_NUMERICAL_ERROR");
  EXPECT_STREQ(lwnet_status_string(LWNET_CUDA_ERROR), "LWNET_CUDA_ERROR");
  EXPECT_STREQ(lwnet_status_string(LWNET_UNAVAILABLE), "LWNET_UNAVAILABLE");
  EXPECT_STREQ(lwnet_status_string(LWNET_CANCELLED), "LWNET_CANCELLED");
  EXPECT_STREQ(lwnet_status_string(LWNET_OUT_OF_MEMORY), "LWNET_OUT_OF_MEMORY");
  EXPECT_STREQ(lwnet_status_string(LWNET_INTERNAL_ERROR), "LWNET_INTERNAL_ERROR");
  EXPECT_STREQ(lwnet_status_string(static_cast<lwnet_status>(99)), "unknown status");
}

TEST(CApiVersion, RunTimeMatchesTheCompileTimeMacros) {
  const std::string expected = std::to_string(LWNET_VERSION_MAJOR) + "." + std::to_string(LWNET_VERSION_MINOR) + "." +
                               std::to_string(LWNET_VERSION_PATCH);
  EXPECT_EQ(expected, lwnet_version());
  EXPECT_EQ(lwnet::version(), lwnet_version());
}

TEST(CApiBackend, CpuDescribesItself) {
  CBackend backend;
  const char* description = nullptr;
  const char* reason = nullptr;
  ASSERT_EQ(lwnet_backend_description(backend, &description), LWNET_OK);
  ASSERT_EQ(lwnet_backend_reason(backend, &reason), LWNET_OK);
  EXPECT_EQ(std::string(description).rfind("cpu", 0), 0u) << description;
  EXPECT_NE(reason, nullptr);
  lwnet_memory memory = LWNET_MEMORY_CUDA;
  int32_t device = -1;
  ASSERT_EQ(lwnet_backend_memory(backend, &memory, &device), LWNET_OK);
  EXPECT_EQ(memory, LWNET_MEMORY_HOST);
  EXPECT_EQ(device, 0);
  EXPECT_EQ(lwnet_backend_description(nullptr, &description), LWNET_INVALID_ARGUMENT);
  EXPECT_STREQ(lwnet_last_error(), "lwnet_backend_description: backend is NULL");
}

TEST(CApiBackend, AnUnusableGpuIsUnavailable) {
  if (probe_cuda().usable()) GTEST_SKIP() << "a GPU is usable here";
  lwnet_backend* backend = nullptr;
  EXPECT_EQ(lwnet_backend_create("cuda:0", &backend), LWNET_UNAVAILABLE);
  EXPECT_EQ(backend, nullptr);
  EXPECT_NE(std::string(lwnet_last_error()).find("lwnet_backend_create: "), std::string::npos);
  ASSERT_EQ(lwnet_backend_create("auto", &backend), LWNET_OK);  // falls back to the CPU and says why
  const char* reason = nullptr;
  ASSERT_EQ(lwnet_backend_reason(backend, &reason), LWNET_OK);
  EXPECT_STRNE(reason, "");
  lwnet_backend_free(backend);
}

}  // namespace
}  // namespace lwnet::capi_test
