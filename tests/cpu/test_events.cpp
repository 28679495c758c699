// Queues and events on the CPU (lwnet/backend.hpp, "queue and events"): the CPU backend's work is
// complete when a call returns, so its events are empty and waiting on them does nothing, also
// across two backends; a backend without its own record_event synchronises first; waiting on a
// native event (another device's) blocks the host until its host_wait returns; and an event
// without a way to wait for it is refused.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "cpu/cpu_backend.hpp"
#include "lwnet/backend.hpp"
#include "lwnet/error.hpp"
#include "test_data.hpp"

namespace lwnet::test {
namespace {

TEST(CpuEvents, RecordGivesAnEmptyCompleteEvent) {
  const std::unique_ptr<Backend> cpu = make_cpu_backend(1);
  const Event event = cpu->record_event();
  EXPECT_TRUE(event.empty());
  EXPECT_EQ(event.native_handle(), nullptr);
  EXPECT_EQ(event.device(), Device::cpu());
  event.synchronize();  // returns at once
  cpu->wait(event);
  EXPECT_TRUE(Event().empty());
}

// Backend A writes C, B waits for A's event and reads C: B sees all of A's result.
TEST(CpuEvents, WaitAcrossTwoCpuBackendsSeesTheOtherBackendsWork) {
  TestRandom rng(test_seed());
  const Matrix<float> a = rng.uniform_matrix(9, 4);
  const Matrix<float> b = rng.uniform_matrix(4, 3);
  const std::unique_ptr<Backend> writer = make_cpu_backend(2);
  const std::unique_ptr<Backend> reader = make_cpu_backend(1);
  Matrix<float> c = writer->allocate<float>(9, 3);
  writer->blas().gemm(Transpose::no, Transpose::no, 1.0f, a.cview(), b.cview(), 0.0f, c.view());
  const Event written = writer->record_event();
  reader->wait(written);
  const std::vector<double> sums = reader->column_sums(c.cview());
  ASSERT_EQ(sums.size(), 3u);
  for (std::int64_t j = 0; j < 3; ++j) {
    double expected = 0.0;
    for (std::int64_t i = 0; i < 9; ++i)
      for (std::int64_t k = 0; k < 4; ++k) expected += static_cast<double>(a(i, k)) * b(k, j);
    EXPECT_NEAR(sums[static_cast<std::size_t>(j)], expected, 1e-5) << "column " << j;
  }
}

// A backend whose calls may return before their work is done, relying on the default
// record_event: the event must not be empty unless the work was waited for.
class CountingBackend final : public cpu::CpuBackend {
 public:
  CountingBackend() : CpuBackend(1) {}
  void synchronize() override { ++synchronized; }
  int synchronized = 0;
};

TEST(CpuEvents, DefaultRecordSynchronisesBeforeGivingAnEmptyEvent) {
  CountingBackend backend;
  const Event event = backend.record_event();
  EXPECT_TRUE(event.empty());
  EXPECT_EQ(backend.synchronized, 1);
}

// A stand-in for another device's native event: host_wait counts the waits.
struct FakeNativeEvent {
  int host_waits = 0;
};

void count_host_wait(void* handle) { ++static_cast<FakeNativeEvent*>(handle)->host_waits; }

TEST(CpuEvents, WaitOnANativeEventBlocksTheHostThroughItsHostWait) {
  auto native = std::make_shared<FakeNativeEvent>();
  const Event event(Device::cuda(0), native, &count_host_wait);
  EXPECT_FALSE(event.empty());
  EXPECT_EQ(event.native_handle(), native.get());
  EXPECT_EQ(event.device(), Device::cuda(0));

  const std::unique_ptr<Backend> cpu = make_cpu_backend(1);
  cpu->wait(event);
  EXPECT_EQ(native->host_waits, 1);
  const Event copy = event;  // copies share the native event
  copy.synchronize();
  EXPECT_EQ(native->host_waits, 2);
  cpu->wait(Event());
  EXPECT_EQ(native->host_waits, 2);
}

TEST(CpuEvents, NativeEventWithoutHostWaitIsRefused) {
  EXPECT_THROW(Event(Device::cuda(0), std::make_shared<FakeNativeEvent>(), nullptr), InvalidArgument);
  // No native event: nothing to wait for, so no host_wait is needed.
  EXPECT_TRUE(Event(Device::cpu(), nullptr, nullptr).empty());
}

}  // namespace
}  // namespace lwnet::test
