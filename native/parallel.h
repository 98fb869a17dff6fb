// The threads of the native kernels (recurrent.cc) and of the GEMM-rate entry (gemm.cc): the same rule for how
// many threads a call may use and the same way of splitting work over them, so that the bench's floor is timed
// as the kernels run their GEMMs.
#pragma once
#include <algorithm>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace unroll {

/** The cores of the machine (at least 1): the most threads a call may use. */
inline int cores() { return int(std::max(1u, std::thread::hardware_concurrency())); }

/** Threads when the caller leaves it to us: as many as pay, up to 4. */
inline int defaultThreads() { return std::min(cores(), 4); }

/** Runs f(0) … f(n − 1), f(0) on the calling thread, the rest on their own threads, and joins them. Where the
 *  system refuses a thread, the parts left run on the calling thread: they are independent. */
template <class F>
void parallel(int n, const F& f) {
  std::vector<std::thread> threads;
  int started = 1;
  for (; started < n; started++) {
    try {
      threads.emplace_back([&f, i = started] { f(i); });
    } catch (const std::system_error&) {
      break;
    }
  }
  for (int i = started; i < n; i++) f(i);
  f(0);
  for (auto& t : threads) t.join();
}

/** The i-th of n near-equal parts of [0, total). */
inline std::pair<long, long> part(int i, int n, long total) { return {total * i / n, total * (i + 1) / n}; }

}  // namespace unroll
