// The run-time backend choice (lwnet::lwnet), tested on every machine: probe_cuda never throws and
// gives a reason when CUDA is unusable; a build with CUDA finds and loads its backend module (so the
// reason is the CUDA runtime's, not the loader's); auto falls back to the CPU with a non-empty reason
// (or picks cuda:0 when usable); asking for an unusable CUDA device throws Unavailable with the
// reason; a CudaError thrown inside the module is an lwnet::Error here; and Device::parse / str
// round-trip. tests/select/ tests the module loader itself.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "expect_close.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/device.hpp"
#include "lwnet/error.hpp"

namespace lwnet::test {
namespace {

TEST(BackendSelection, ProbeExplainsItself) {
  const CudaProbe probe = probe_cuda();
  if (probe.usable()) {
    EXPECT_TRUE(probe.reason.empty()) << probe.reason;
    EXPECT_EQ(static_cast<int>(probe.names.size()), probe.device_count);
  } else {
    EXPECT_FALSE(probe.reason.empty()) << "an unusable CUDA must say why";
  }
}

TEST(BackendSelection, ThisBuildsCudaModuleIsLoaded) {
  const CudaProbe probe = probe_cuda();
#if LWNET_TEST_WITH_CUDA
  EXPECT_TRUE(probe.compiled);
  EXPECT_EQ(probe.reason.find("CUDA backend module"), std::string::npos)
      << "the module built beside this test should load: " << probe.reason;
#else
  EXPECT_FALSE(probe.compiled);
  EXPECT_NE(probe.reason.find("LWNET_ENABLE_CUDA=OFF"), std::string::npos) << probe.reason;
#endif
}

TEST(BackendSelection, AutoFallsBackToCpuWithAReason) {
  const CudaProbe probe = probe_cuda();
  const BackendChoice choice = select_backend(Device::automatic());
  ASSERT_NE(choice.backend, nullptr);
  EXPECT_FALSE(choice.reason.empty());
  if (probe.usable()) {
    EXPECT_EQ(choice.backend->device(), Device::cuda(0)) << choice.reason;
  } else {
    EXPECT_EQ(choice.backend->device(), Device::cpu());
    EXPECT_NE(choice.reason.find(probe.reason), std::string::npos)
        << "the reason \"" << choice.reason << "\" should carry the probe's \"" << probe.reason << "\"";
  }
  EXPECT_EQ(make_backend(Device::automatic())->device(), choice.backend->device());
}

TEST(BackendSelection, CpuIsAlwaysAvailable) {
  const BackendChoice choice = select_backend(Device::cpu());
  EXPECT_EQ(choice.backend->device(), Device::cpu());
  EXPECT_FALSE(choice.reason.empty());
  EXPECT_EQ(make_backend(Device::parse("CPU"))->memory_space(), MemorySpace::host);
}

TEST(BackendSelection, UnusableCudaThrowsUnavailable) {
  const CudaProbe probe = probe_cuda();
  if (!probe.usable()) {
    EXPECT_TRUE(throws_with<Unavailable>([] { make_backend(Device::cuda(0)); }, {"cuda:0", probe.reason}));
    EXPECT_TRUE(throws_with<Unavailable>([] { select_backend(Device::cuda(0)); }, {"cuda:0"}));
  } else {
    EXPECT_EQ(make_backend(Device::cuda(0))->device(), Device::cuda(0));
  }
  // A device index past the visible ones is unavailable either way.
  EXPECT_TRUE(throws_with<Unavailable>([] { make_backend(Device::cuda(4096)); }, {"cuda:4096"}));
}

// The CUDA backend's code runs in the module (host/select/cuda_module.hpp): its errors reach the
// program as lwnet::Error of their own type.
TEST(BackendSelection, CudaErrorsFromTheModuleAreLwnetErrors) {
  const CudaProbe probe = probe_cuda();
  if (!probe.usable()) GTEST_SKIP() << "no usable CUDA device: " << probe.reason;
  const std::unique_ptr<Backend> gpu = make_backend(Device::cuda(0));
  const std::int64_t huge = std::int64_t{1} << 21;  // 2^42 floats: 16 TiB, more than any GPU holds
  try {
    gpu->allocate<float>(huge, huge);
    ADD_FAILURE() << "allocating 16 TiB on " << gpu->description() << " did not throw";
  } catch (const Error& e) {
    EXPECT_NE(dynamic_cast<const CudaError*>(&e), nullptr) << "not a CudaError: " << e.what();
  }
}

TEST(DeviceNames, ParseRoundTrips) {
  for (const Device& d : {Device::cpu(), Device::automatic(), Device::cuda(0), Device::cuda(3)})
    EXPECT_EQ(Device::parse(d.str()), d) << d.str();
  EXPECT_EQ(Device::cpu().str(), "cpu");
  EXPECT_EQ(Device::automatic().str(), "auto");
  EXPECT_EQ(Device::cuda(2).str(), "cuda:2");
  EXPECT_EQ(Device::parse("CUDA"), Device::cuda(0));
  EXPECT_EQ(Device::parse("gpu"), Device::cuda(0));
  EXPECT_EQ(Device::parse("GPU:2"), Device::cuda(2));
  EXPECT_EQ(Device::parse("Auto"), Device::automatic());
  EXPECT_EQ(Device::cuda(1).memory_space(), MemorySpace::cuda);
  EXPECT_EQ(Device::automatic().memory_space(), MemorySpace::host);
  for (const char* bad : {"", "tpu", "cuda:", "cuda:-1", "cuda:1x", "cuda0", "gpu:", " cpu"})
    EXPECT_TRUE(throws_with<InvalidArgument>([&] { Device::parse(bad); }, {"unknown device '" + std::string(bad) + "'"}))
        << "\"" << bad << "\"";
}

}  // namespace
}  // namespace lwnet::test
