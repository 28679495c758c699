// The CPU backend's thread pool (cpu/thread_pool.hpp): every task runs exactly once at any thread
// count, worker indices stay below the threads used, a task's exception reaches the caller,
// a task may run a job of its own (no deadlock), several callers may share a pool, and the thread
// count of a call follows its work.
#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cpu/thread_pool.hpp"

namespace lwnet::test {
namespace {

using cpu::ThreadPool;

TEST(CpuThreadPool, EveryTaskRunsOnceWithWorkersInRange) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    for (std::int64_t tasks : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> runs(static_cast<std::size_t>(tasks));
      std::atomic<int> bad_worker{0};
      pool.run(tasks, threads, [&](std::int64_t task, int worker) {
        runs[static_cast<std::size_t>(task)].fetch_add(1);
        if (worker < 0 || worker >= threads) bad_worker.fetch_add(1);
      });
      for (std::int64_t t = 0; t < tasks; ++t)
        ASSERT_EQ(runs[static_cast<std::size_t>(t)].load(), 1) << threads << " threads, task " << t << " of " << tasks;
      EXPECT_EQ(bad_worker.load(), 0);
    }
  }
}

TEST(CpuThreadPool, ATasksExceptionReachesTheCaller) {
  ThreadPool pool(4);
  std::atomic<int> ran{0};
  EXPECT_THROW(pool.run(200, 4,
                        [&](std::int64_t task, int) {
                          ran.fetch_add(1);
                          if (task == 3) throw std::runtime_error("task 3");
                        }),
               std::runtime_error);
  EXPECT_GE(ran.load(), 4);
  // The pool is still usable afterwards.
  std::atomic<int> sum{0};
  pool.run(10, 4, [&](std::int64_t task, int) { sum.fetch_add(static_cast<int>(task)); });
  EXPECT_EQ(sum.load(), 45);
}

TEST(CpuThreadPool, ATaskMayRunAJobOfItsOwn) {
  ThreadPool pool(3);
  std::atomic<int> inner{0};
  pool.run(6, 3, [&](std::int64_t, int) { pool.run(5, 3, [&](std::int64_t, int) { inner.fetch_add(1); }); });
  EXPECT_EQ(inner.load(), 30);
}

TEST(CpuThreadPool, CallersOnSeveralThreadsShareAPool) {
  ThreadPool pool(4);
  std::vector<std::thread> callers;
  std::vector<long> sums(4, 0);
  for (int c = 0; c < 4; ++c)
    callers.emplace_back([&, c] {
      for (int repeat = 0; repeat < 50; ++repeat) {
        std::atomic<long> sum{0};
        pool.run(100, 4, [&](std::int64_t task, int) { sum.fetch_add(task); });
        sums[static_cast<std::size_t>(c)] += sum.load();
      }
    });
  for (std::thread& t : callers) t.join();
  for (long s : sums) EXPECT_EQ(s, 50L * 4950);
}

TEST(CpuThreadPool, ThreadCountFollowsTheWork) {
  const ThreadPool pool(8);
  EXPECT_EQ(pool.threads_for(0, 100), 1);
  EXPECT_EQ(pool.threads_for(cpu::kWorkPerThread - 1, 100), 1) << "too little work for a second thread";
  EXPECT_EQ(pool.threads_for(3 * cpu::kWorkPerThread, 100), 3);
  EXPECT_EQ(pool.threads_for(100 * cpu::kWorkPerThread, 100), 8) << "at most the pool's threads";
  EXPECT_EQ(pool.threads_for(100 * cpu::kWorkPerThread, 2), 2) << "at most one thread a task";
}

}  // namespace
}  // namespace lwnet::test
