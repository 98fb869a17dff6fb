// gemmTime({ m, n, k, transA, transB, threads, repeats }): for the bench's floor (bench/floor.ts), the seconds one
// product C[m, n] = op(A) · op(B) takes with the kernels' own math (Eigen, the same SIMD build), computed as the
// kernels compute theirs: the rows of C split over `threads` threads (parallel.h), each one single-threaded Eigen
// product on its rows. A is [m, k] ([k, m] with transA, read transposed as dW = dGᵀ · X is); B is [k, n] ([n, k]
// with transB, as X · Wᵀ). The threads start once and each runs its `repeats` products, as the kernels' threads
// run every step of a layer, so a small product is not charged a thread's start. The matrices are its own: no
// caller memory is read or written, and every size is checked before anything is allocated.
#include "gemm.h"

#define EIGEN_DONT_PARALLELIZE
#include <Eigen/Core>

#include <chrono>
#include <string>

#include "args.h"
#include "parallel.h"

namespace unroll {
namespace {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/** The most floats one matrix may hold here (1 GiB): a bench of the kernels' shapes never comes near it. */
constexpr double kMaxMatrix = double(1l << 28);

Napi::Value gemmTime(const Napi::CallbackInfo& info) {
  Args a(info, "gemmTime");
  const long m = a.integer("m", 1, 1l << 28), n = a.integer("n", 1, 1l << 28), k = a.integer("k", 1, 1l << 28);
  const bool transA = a.flag("transA"), transB = a.flag("transB");
  const int threads = int(a.integer("threads", 0, cores(), 0));
  const long repeats = a.integer("repeats", 1, 1000000);
  for (double size : {double(m) * k, double(k) * n, double(m) * n})
    if (size > kMaxMatrix) a.fail("a matrix of the product comes to more than 2^28 floats");
  const int parts = int(std::min<long>(threads > 0 ? threads : defaultThreads(), m));
  Mat A = Mat::Constant(transA ? k : m, transA ? m : k, 0.01f);
  Mat B = Mat::Constant(transB ? n : k, transB ? k : n, 0.01f);
  Mat C = Mat::Zero(m, n);
  auto product = [&](long lo, long hi) {
    auto rows = C.middleRows(lo, hi - lo);
    if (transA && transB) rows.noalias() = A.middleCols(lo, hi - lo).transpose() * B.transpose();
    else if (transA) rows.noalias() = A.middleCols(lo, hi - lo).transpose() * B;
    else if (transB) rows.noalias() = A.middleRows(lo, hi - lo) * B.transpose();
    else rows.noalias() = A.middleRows(lo, hi - lo) * B;
  };
  auto run = [&](long times) {
    parallel(parts, [&](int i) {
      auto [lo, hi] = part(i, parts, m);
      for (long r = 0; r < times; r++) product(lo, hi);
    });
  };
  run(1);  // the pages touched and the caches warm, as in a training step after the first
  const auto t0 = std::chrono::steady_clock::now();
  run(repeats);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;
  return Napi::Number::New(info.Env(), took.count() / double(repeats));
}

}  // namespace

void registerGemm(Napi::Env env, Napi::Object exports) {
  exports.Set("gemmTime", Napi::Function::New(env, [](const Napi::CallbackInfo& info) { return guarded(info, "gemmTime", [&] { return gemmTime(info); }); }));
}

}  // namespace unroll
