// Opening backend modules (host/select/cuda_module.hpp), on every machine, with the test doubles
// of fake_cuda_module.cpp: a module from this build loads and its backend computes exactly what
// the program's CPU backend computes; exceptions thrown inside the module (CudaError, Unavailable,
// NumericalError) reach the program as lwnet::Error of the right type; a module from another
// build, a missing file, a file that is not a module and a library without the entry are refused
// with a reason, which auto turns into a CPU fallback and cuda:N into Unavailable; and
// LWNET_CUDA_BACKEND overrides the search.
#include <gtest/gtest.h>

#include <limits.h>
#include <stdlib.h>

#include <memory>
#include <optional>
#include <string>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "lwnet_module_interface.hpp"
#include "select/cuda_module.hpp"

namespace lwnet::test {
namespace {

using detail::CudaModule;

// Sets or unsets an environment variable for the scope of a test and restores it after.
class ScopedEnvironment {
 public:
  // Unsets it when value is std::nullopt.
  ScopedEnvironment(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = getenv(name)) old_ = std::string(old);
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnvironment() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Owns a module for one test; backends made by it must be gone before it closes.
class ModuleTest : public ::testing::Test {
 protected:
  void TearDown() override { detail::close_cuda_module(module_); }
  CudaModule& open(const std::string& path) {
    module_ = detail::open_cuda_module(path);
    return module_;
  }

 private:
  CudaModule module_;
};

Matrix<float> small_points() {
  auto X = Matrix<float>::host(7, 3);
  for (std::int64_t i = 0; i < X.rows(); ++i)
    for (std::int64_t j = 0; j < X.cols(); ++j) X(i, j) = static_cast<float>((i * 3 + j) % 5) * 0.25f - 0.5f;
  return X;
}

using BackendModule = ModuleTest;

TEST_F(BackendModule, OneFromThisBuildLoadsAndItsBackendComputes) {
  const CudaModule& module = open(LWNET_TEST_FAKE_MODULE);
  ASSERT_TRUE(module.loaded()) << module.failure;
  const CudaProbe probe = detail::probe_cuda_module(module);
  EXPECT_TRUE(probe.usable());
  EXPECT_EQ(probe.device_count, 3);
  ASSERT_EQ(probe.names.size(), 3u);
  EXPECT_EQ(probe.names[0], "fake 0");

  BackendChoice choice = detail::select_backend_from(Device::cuda(0), module, probe);
  EXPECT_EQ(choice.reason, "cuda:0 requested");
  const Matrix<float> X = small_points();
  // Memory allocated by the module's code is freed by the program's, and the other way round.
  auto module_out = choice.backend->allocate<float>(7, 7);
  choice.backend->gram(X.cview(), X.cview(), GramParams::gaussian(0.8), module_out.view());
  auto program_out = Matrix<float>::host(7, 7);
  make_cpu_backend(1)->gram(X.cview(), X.cview(), GramParams::gaussian(0.8), program_out.view());
  const Matrix<float> downloaded = choice.backend->download(module_out.cview());
  for (std::int64_t i = 0; i < 7; ++i)
    for (std::int64_t j = 0; j < 7; ++j) EXPECT_EQ(downloaded(i, j), program_out(i, j)) << i << "," << j;

  const BackendChoice automatic = detail::select_backend_from(Device::automatic(), module, probe);
  EXPECT_NE(automatic.reason.find("auto: CUDA device 0 is usable (fake 0)"), std::string::npos) << automatic.reason;
}

TEST_F(BackendModule, ExceptionsThrownInsideAreLwnetErrorsOfTheirType) {
  const CudaModule& module = open(LWNET_TEST_FAKE_MODULE);
  ASSERT_TRUE(module.loaded()) << module.failure;
  const CudaProbe probe = detail::probe_cuda_module(module);

  // As the CLI maps exceptions to exit codes (host/cli/main.cpp): catch Error, then ask its type.
  const auto caught = [&](Device device) -> std::string {
    try {
      detail::select_backend_from(device, module, probe);
    } catch (const Error& e) {
      if (dynamic_cast<const CudaError*>(&e) != nullptr) return std::string("CudaError: ") + e.what();
      if (dynamic_cast<const Unavailable*>(&e) != nullptr) return std::string("Unavailable: ") + e.what();
      return std::string("another Error: ") + e.what();
    } catch (...) {
      return "not an lwnet::Error";
    }
    return "nothing thrown";
  };
  EXPECT_EQ(caught(Device::cuda(1)), "CudaError: fake module: cudaMalloc failed on cuda:1");
  EXPECT_EQ(caught(Device::cuda(2)), "Unavailable: fake module: cuda:2 cannot be initialised");
  EXPECT_TRUE(throws_with<CudaError>([&] { detail::select_backend_from(Device::cuda(1), module, probe); },
                                     {"cudaMalloc failed"}));

  // Thrown by the backend's implementation, which is the module's code (the CPU's Cholesky).
  BackendChoice choice = detail::select_backend_from(Device::cuda(0), module, probe);
  auto A = Matrix<double>::host(2, 2);
  A(0, 0) = 1.0;
  A(0, 1) = 2.0;
  A(1, 0) = 2.0;
  A(1, 1) = 1.0;
  EXPECT_TRUE(throws_with<NumericalError>([&] { choice.backend->solver().potrf(A.view()); }, {"not positive definite"}));
}

// make_cuda_backend and native_stream (lwnet/cuda.hpp) reach the module through its ABI 2
// entries, after the same checks as cuda:N; the module's exceptions keep their type.
TEST_F(BackendModule, CallerStreamEntriesGoThroughTheModule) {
  const CudaModule& module = open(LWNET_TEST_FAKE_MODULE);
  ASSERT_TRUE(module.loaded()) << module.failure;
  const CudaProbe probe = detail::probe_cuda_module(module);
  int stand_in = 0;  // the fake module only checks that a stream was given
  std::unique_ptr<Backend> backend = detail::make_module_backend_on_stream(module, probe, 0, &stand_in);
  ASSERT_NE(backend, nullptr);
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { detail::make_module_backend_on_stream(module, probe, 0, nullptr); }, {"no stream given"}));
  EXPECT_TRUE(throws_with<Unavailable>([&] { detail::make_module_backend_on_stream(module, probe, 2, &stand_in); },
                                       {"cuda:2 cannot be initialised"}));
  EXPECT_TRUE(throws_with<Unavailable>([&] { detail::make_module_backend_on_stream(module, probe, 3, &stand_in); },
                                       {"cannot use cuda:3", "only 3"}));
  EXPECT_TRUE(throws_with<InvalidArgument>(
      [&] { detail::make_module_backend_on_stream(module, probe, -1, &stand_in); }, {"-1 is negative"}));
  // The fake's backends keep host memory: not CUDA backends.
  EXPECT_TRUE(throws_with<InvalidArgument>([&] { detail::module_backend_stream(module, *backend); },
                                           {"native_stream", "is not a CUDA backend"}));
  backend.reset();  // before the module closes

  CudaProbe unusable = probe;
  unusable.device_count = 0;
  unusable.reason = "the CUDA runtime reports no devices";
  EXPECT_TRUE(throws_with<Unavailable>([&] { detail::make_module_backend_on_stream(module, unusable, 0, &stand_in); },
                                       {"cannot use cuda:0: the CUDA runtime reports no devices"}));
}

TEST_F(BackendModule, OneFromAnotherBuildIsRefusedWithTheReason) {
  const CudaModule& module = open(LWNET_TEST_STALE_MODULE);
  EXPECT_FALSE(module.loaded());
  EXPECT_FALSE(module.missing);
  for (const char* needle : {"comes from another build of lwnet", "interface 0000000000000000",
                             "interface " LWNET_MODULE_INTERFACE_ID, "LWNET_CUDA_BACKEND"})
    EXPECT_NE(module.failure.find(needle), std::string::npos) << module.failure << "\nlacks: " << needle;

  const CudaProbe probe = detail::probe_cuda_module(module);
  EXPECT_TRUE(probe.compiled);
  EXPECT_FALSE(probe.usable());
  EXPECT_EQ(probe.reason, module.failure);
  EXPECT_TRUE(throws_with<Unavailable>([&] { detail::select_backend_from(Device::cuda(0), module, probe); },
                                       {"cannot use cuda:0", "another build"}));
  const BackendChoice automatic = detail::select_backend_from(Device::automatic(), module, probe);
  EXPECT_EQ(automatic.backend->device(), Device::cpu());
  EXPECT_NE(automatic.reason.find("another build"), std::string::npos) << automatic.reason;
}

TEST_F(BackendModule, WhatIsNotAModuleIsRefusedWithTheReason) {
  const CudaModule missing = detail::open_cuda_module("/nonexistent/liblwnet_cuda_backend.so");
  EXPECT_TRUE(missing.missing);
  EXPECT_EQ(missing.failure, "/nonexistent/liblwnet_cuda_backend.so: no such file");

  const std::string csv = std::string(LWNET_DATA_DIR) + "/wine/wine.csv";
  const CudaModule text = detail::open_cuda_module(csv);
  EXPECT_FALSE(text.loaded());
  EXPECT_FALSE(text.missing);
  EXPECT_NE(text.failure.find(csv), std::string::npos) << text.failure;  // dlerror names the file

  // A bare name goes through the dynamic linker's search; libm is found but has no entry.
  const CudaModule library = detail::open_cuda_module("libm.so.6");
  EXPECT_FALSE(library.loaded());
  EXPECT_EQ(library.failure, "libm.so.6 is not an lwnet CUDA backend module (no lwnet_cuda_module_entry)");
  const CudaModule unknown = detail::open_cuda_module("liblwnet_no_such_module.so");
  EXPECT_TRUE(unknown.missing) << unknown.failure;
}

TEST(BackendModuleSearch, TheEnvironmentVariableOverridesTheSearch) {
  {
    const ScopedEnvironment forced("LWNET_CUDA_BACKEND", LWNET_TEST_FAKE_MODULE);
    EXPECT_EQ(detail::cuda_module_candidates(), std::vector<std::string>{LWNET_TEST_FAKE_MODULE});
    CudaModule module = detail::find_cuda_module();
    EXPECT_TRUE(module.loaded()) << module.failure;
    detail::close_cuda_module(module);
  }
  {
    const ScopedEnvironment forced("LWNET_CUDA_BACKEND", "/nonexistent/module.so");
    const CudaModule module = detail::find_cuda_module();
    EXPECT_FALSE(module.loaded());
    EXPECT_EQ(module.failure,
              "CUDA backend module not found (tried /nonexistent/module.so; set LWNET_CUDA_BACKEND to its path)");
  }
  {
    const ScopedEnvironment forced("LWNET_CUDA_BACKEND", LWNET_TEST_STALE_MODULE);
    const CudaModule module = detail::find_cuda_module();
    EXPECT_FALSE(module.loaded());
    EXPECT_EQ(module.failure.rfind("CUDA backend module not loaded: ", 0), 0u) << module.failure;
    EXPECT_NE(module.failure.find("liblwnet_stale_cuda_module.so comes from another build"), std::string::npos)
        << module.failure;
  }
}

TEST(BackendModuleSearch, LooksBesideTheProgramFirst) {
  const ScopedEnvironment not_forced("LWNET_CUDA_BACKEND", std::nullopt);
  const std::vector<std::string> candidates = detail::cuda_module_candidates();
  ASSERT_GE(candidates.size(), 3u);
  char binary_dir[PATH_MAX];  // the loader resolves symbolic links
  ASSERT_NE(realpath(LWNET_TEST_BINARY_DIR, binary_dir), nullptr);
  EXPECT_EQ(candidates[0], std::string(binary_dir) + "/liblwnet_cuda_backend.so");
}

}  // namespace
}  // namespace lwnet::test
