// A small fixed thread pool for the fused kernels. run(fn) executes fn(tid, nthreads) on every
// thread (the caller is thread 0) and returns when all are done. Inside fn, barrier() synchronises
// all threads; it spins briefly (a recurrent step is tens of microseconds) before sleeping, since
// sleeping at every step would halve throughput, and spinning forever would starve other work.
#pragma once
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace regulab {

class SpinBarrier {
 public:
  explicit SpinBarrier(int n) : n_(n) {}
  void wait();
  void set_count(int n) { n_ = n; }

 private:
  int n_;
  std::atomic<int> arrived_{0};
  std::atomic<unsigned> phase_{0};
  std::atomic<int> sleepers_{0};
  std::mutex m_;
  std::condition_variable cv_;
};

class Pool {
 public:
  explicit Pool(int threads);
  ~Pool();
  int size() const { return n_; }
  void run(const std::function<void(int, int)>& fn);
  void barrier() { step_.wait(); }

 private:
  void worker(int tid);
  int n_;
  std::vector<std::thread> workers_;
  SpinBarrier start_, end_, step_;
  const std::function<void(int, int)>* task_ = nullptr;
  bool stop_ = false;
};

// Splits [0, n) into `parts` contiguous ranges aligned to `align`; returns range `i`.
inline void split_range(int n, int parts, int i, int align, int& lo, int& hi) {
  int blocks = (n + align - 1) / align;
  int b0 = (int)((long)blocks * i / parts), b1 = (int)((long)blocks * (i + 1) / parts);
  lo = b0 * align < n ? b0 * align : n;
  hi = b1 * align < n ? b1 * align : n;
}

}  // namespace regulab
