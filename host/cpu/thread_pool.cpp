#include "cpu/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <exception>

namespace lwnet::cpu {
LWNET_CPU_ISA_NAMESPACE_BEGIN

struct ThreadPool::Job {
  Job(Body b, std::int64_t n, int most) : body(b), tasks(n), max_threads(most) {}

  Body body;  // called only for a claimed task, while the caller still waits: its callable is alive
  const std::int64_t tasks;
  const int max_threads;
  std::atomic<std::int64_t> next{0};      // the next task to claim
  std::atomic<std::int64_t> finished{0};  // tasks run (or skipped after a failure)
  std::atomic<int> joined{1};             // worker indices handed out; the caller is worker 0
  std::atomic<bool> failed{false};
  std::mutex mutex;  // guards `error` and the wake-up of the waiting caller
  std::condition_variable all_finished;
  std::exception_ptr error;
};

ThreadPool::ThreadPool(int threads) : threads_(std::max(threads, 1)) {}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

int ThreadPool::threads_for(std::int64_t work, std::int64_t tasks) const {
  const std::int64_t worth = std::max<std::int64_t>(work / kWorkPerThread, 1);
  return static_cast<int>(std::min({worth, std::max<std::int64_t>(tasks, 1), static_cast<std::int64_t>(threads_)}));
}

void ThreadPool::work_on(Job& job, int worker) {
  for (;;) {
    const std::int64_t task = job.next.fetch_add(1, std::memory_order_relaxed);
    if (task >= job.tasks) return;
    if (!job.failed.load(std::memory_order_relaxed)) {
      try {
        job.body(task, worker);
      } catch (...) {
        std::lock_guard<std::mutex> lock(job.mutex);
        if (!job.error) job.error = std::current_exception();
        job.failed.store(true, std::memory_order_relaxed);
      }
    }
    // Release: the task's writes are visible to the caller once it sees the count.
    if (job.finished.fetch_add(1, std::memory_order_acq_rel) + 1 == job.tasks) {
      std::lock_guard<std::mutex> lock(job.mutex);
      job.all_finished.notify_all();
    }
  }
}

void ThreadPool::start_workers() {
  // Called with mutex_ held.
  if (!workers_.empty() || threads_ == 1) return;
  workers_.reserve(static_cast<std::size_t>(threads_ - 1));
  for (int w = 1; w < threads_; ++w) workers_.emplace_back([this] { worker_loop(); });
}

void ThreadPool::worker_loop() {
  std::uint64_t seen = 0;
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      job = job_;
    }
    if (!job) continue;
    const int worker = job->joined.fetch_add(1, std::memory_order_relaxed);
    if (worker < job->max_threads) work_on(*job, worker);
  }
}

void ThreadPool::run(std::int64_t tasks, int threads, Body body) {
  if (tasks <= 0) return;
  threads = static_cast<int>(std::min<std::int64_t>({threads, threads_, tasks}));
  if (threads <= 1) {
    for (std::int64_t task = 0; task < tasks; ++task) body(task, 0);
    return;
  }
  auto job = std::make_shared<Job>(body, tasks, threads);
  std::size_t workers = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    start_workers();
    workers = workers_.size();
    job_ = job;
    ++generation_;
  }
  if (static_cast<std::size_t>(threads - 1) >= workers) {
    wake_.notify_all();
  } else {
    for (int w = 1; w < threads; ++w) wake_.notify_one();
  }
  work_on(*job, 0);
  if (job->finished.load(std::memory_order_acquire) != tasks) {
    std::unique_lock<std::mutex> lock(job->mutex);
    job->all_finished.wait(lock, [&] { return job->finished.load(std::memory_order_acquire) == tasks; });
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (job_ == job) job_.reset();  // late workers that already hold it find no task left
  }
  if (job->error) std::rethrow_exception(job->error);
}

LWNET_CPU_ISA_NAMESPACE_END
}  // namespace lwnet::cpu
