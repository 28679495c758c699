// The CPU backend's worker threads.
//
// Why not OpenMP: an OpenMP region ends at a barrier that waits for every thread of the team, and
// libgomp's threads spin while they wait. On a busy machine a thread the scheduler has parked costs
// a whole time slice at every region: the paper's cancer folds ran 30x slower with two threads
// than with one next to two busy processes (../shared/TOOLCHAIN.md). Here a job is a list of
// tasks claimed one at a time from a shared counter. The calling thread claims tasks too and waits
// only for tasks another thread has actually claimed, never for a thread that has not started:
// if the workers are parked, the caller does the work alone. Idle workers sleep on a condition
// variable (no spinning).
//
// Results never depend on which thread ran a task: every task writes its own outputs, and the
// callers combine partial results in task order.
#pragma once

#include "cpu/cpu_isa.hpp"

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

// A non-owning reference to a callable (the callable must outlive the call it is passed to).
template <class Signature>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
  FunctionRef(F&& f)  // NOLINT(google-explicit-constructor): used like std::function
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

// Units of work (about one multiply-add each) below which a second thread is not worth waking:
// about 0.1 ms on one core, a few times what waking a sleeping thread costs.
constexpr std::int64_t kWorkPerThread = std::int64_t{1} << 19;

class ThreadPool {
 public:
  // body(task, worker): worker is in [0, threads used), so callers can index per-thread scratch.
  using Body = FunctionRef<void(std::int64_t task, int worker)>;

  explicit ThreadPool(int threads);  // threads >= 1; the workers start on first use
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }

  // Threads worth using for `work` units split into `tasks` tasks: one per kWorkPerThread units,
  // at most one per task and at most threads().
  int threads_for(std::int64_t work, std::int64_t tasks) const;

  // Runs body(task, worker) for every task in [0, tasks) on the calling thread and up to
  // threads - 1 workers, and returns when all have run. The first exception a task throws is
  // rethrown here (tasks not yet started are skipped). Safe to call from several threads at once
  // and from inside a task (the inner caller then does its tasks alone if no worker is free).
  void run(std::int64_t tasks, int threads, Body body);

 private:
  struct Job;
  static void work_on(Job& job, int worker);
  void start_workers();
  void worker_loop();

  const int threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<Job> job_;  // the newest job; workers that wake join it
  std::uint64_t generation_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

// Runs body(begin, end) over [0, count) in chunks of `chunk` indices, spread over the pool when
// the total work (count * work_per_index units) is worth it.
template <class Body>
void parallel_for(ThreadPool& pool, std::int64_t count, std::int64_t chunk, std::int64_t work_per_index,
                  Body&& body) {
  if (count <= 0) return;
  const std::int64_t tasks = (count + chunk - 1) / chunk;
  pool.run(tasks, pool.threads_for(count * work_per_index, tasks), [&](std::int64_t task, int) {
    const std::int64_t begin = task * chunk;
    body(begin, std::min(count, begin + chunk));
  });
}

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
