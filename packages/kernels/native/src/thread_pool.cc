#include "thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax() { _mm_pause(); }
#else
static inline void cpu_relax() {}
#endif

namespace regulab {

// A waiter spins briefly (a few µs), then yields its core for a while (on a shared machine this
// lets a descheduled partner run), then sleeps.
static constexpr int kSpin = 4000;
static constexpr int kYield = 200;

void SpinBarrier::wait() {
  if (n_ <= 1) return;
  unsigned ph = phase_.load(std::memory_order_acquire);
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) == n_ - 1) {
    arrived_.store(0, std::memory_order_relaxed);
    phase_.fetch_add(1, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lk(m_);
      cv_.notify_all();
    }
    return;
  }
  for (int i = 0; i < kSpin; i++) {
    if (phase_.load(std::memory_order_acquire) != ph) return;
    cpu_relax();
  }
  for (int i = 0; i < kYield; i++) {
    if (phase_.load(std::memory_order_acquire) != ph) return;
    std::this_thread::yield();
  }
  std::unique_lock<std::mutex> lk(m_);
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  cv_.wait(lk, [&] { return phase_.load(std::memory_order_seq_cst) != ph; });
  sleepers_.fetch_sub(1, std::memory_order_seq_cst);
}

Pool::Pool(int threads) : n_(threads < 1 ? 1 : threads), start_(n_), end_(n_), step_(n_) {
  for (int t = 1; t < n_; t++) workers_.emplace_back([this, t] { worker(t); });
}

Pool::~Pool() {
  stop_ = true;
  start_.wait();
  for (auto& w : workers_) w.join();
}

void Pool::run(const std::function<void(int, int)>& fn) {
  if (n_ == 1) {
    fn(0, 1);
    return;
  }
  task_ = &fn;
  start_.wait();
  fn(0, n_);
  end_.wait();
  task_ = nullptr;
}

void Pool::worker(int tid) {
  for (;;) {
    start_.wait();
    if (stop_) return;
    (*task_)(tid, n_);
    end_.wait();
  }
}

}  // namespace regulab
