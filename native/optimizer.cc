// The fused optimizer step: every parameter of one optimizer updated in one call, with PyTorch 1.13's update
// rules (torch.optim's single-tensor path, as src/nn/optim.ts writes them in tfjs ops) for SGD (momentum,
// dampening, Nesterov, weight decay), Adam and AdamW (amsgrad) and RMSprop (centered, momentum, weight decay).
//
// Why: a small model's step otherwise costs about ten tfjs kernels per parameter, each with a fixed overhead
// far above its arithmetic. Here each parameter is one pass of vectorised loops over views of the wasm heap.
//
// The parameters are read, and their new values written to separate arrays (`out`): the caller gives each
// parameter a new tensor, so tensors sharing the old data, and the wasm backend's packed-weight cache (keyed
// by tensor id), never see a changed value. The state buffers (moments, momentum) belong to the optimizer and
// are updated in place. Scalars are computed in double and applied in float, as PyTorch's CPU kernels do.
#include "optimizer.h"

#define EIGEN_DONT_PARALLELIZE
// Exact square roots in the vectorised loops too: Eigen's fast-math packet sqrt (an rsqrt estimate and a Newton
// step on AVX-512) rounds differently from the scalar std::sqrt of the unaligned head and tail, so a
// parameter's new value depended on its address on the heap: the same seed trained differently after other
// allocations (measured: up to 5 of 1,000 Adam updates differed between offsets 0 and 1 of the same arrays).
#define EIGEN_FAST_MATH 0
#include <Eigen/Core>

#include <cmath>
#include <string>
#include <vector>

#include "arrays.h"

// std::vector's growth calls std::__throw_bad_array_new_length, which libstdc++ exports only from GCC 11
// (GLIBCXX_3.4.29): referenced from libstdc++, it would make the prebuilt modules need a newer libstdc++ than
// VS Code's own (3.4.25; test/e2e/package.test.ts checks). A weak definition here keeps the reference inside the module.
namespace std {
[[noreturn]] __attribute__((weak)) void __throw_bad_array_new_length() { throw bad_array_new_length(); }
}  // namespace std

namespace unroll {
namespace {

using Vec = Eigen::Map<Eigen::ArrayXf>;
using CVec = Eigen::Map<const Eigen::ArrayXf>;

enum Kind { SGD = 0, ADAM = 1, RMSPROP = 2 };

/** The optimizer's hyperparameters, read once per call. */
struct Hyper {
  Kind kind;
  double lr, weightDecay, momentum, dampening, beta1, beta2, eps, alpha, step;
  bool nesterov, decoupled, amsgrad, centered;
};

Hyper hyperOf(const Napi::Object& o) {
  auto num = [&](const char* k) { return o.Has(k) ? o.Get(k).ToNumber().DoubleValue() : 0.0; };
  auto flag = [&](const char* k) { return o.Has(k) && o.Get(k).ToBoolean().Value(); };
  Hyper h;
  h.kind = Kind(int(num("kind")));
  if (h.kind != SGD && h.kind != ADAM && h.kind != RMSPROP) throw Napi::RangeError::New(o.Env(), "optimizerStep: unknown kind");
  h.lr = num("lr"), h.weightDecay = num("weightDecay"), h.momentum = num("momentum"), h.dampening = num("dampening");
  h.beta1 = num("beta1"), h.beta2 = num("beta2"), h.eps = num("eps"), h.alpha = num("alpha"), h.step = num("step");
  h.nesterov = flag("nesterov"), h.decoupled = flag("decoupled"), h.amsgrad = flag("amsgrad"), h.centered = flag("centered");
  return h;
}

/** How many state buffers each parameter has, in the order optim.ts names them. */
size_t stateCount(const Hyper& h) {
  switch (h.kind) {
    case SGD: return h.momentum != 0 ? 1 : 0;                                // momentum
    case ADAM: return h.amsgrad ? 3 : 2;                                     // expAvg, expAvgSq, maxExpAvgSq
    default: return 1 + (h.centered ? 1 : 0) + (h.momentum > 0 ? 1 : 0);  // squareAvg, gradAvg, momentum
  }
}

/** One parameter: its value, gradient, new value, and state buffers (`fresh`: not yet written, read as 0). */
struct Slot {
  CVec p, g;
  Vec out;
  std::vector<Vec> state;
  bool fresh;
};

// PyTorch: d_p = g + wd p; buf = d_p on the first step, else buf * m + (1 - dampening) d_p;
// d_p = d_p + m buf (Nesterov) or buf; p -= lr d_p.
void sgd(const Hyper& h, Slot& s) {
  const float lr = float(h.lr), wd = float(h.weightDecay), m = float(h.momentum), keep = float(1 - h.dampening);
  Eigen::ArrayXf d = wd != 0 ? (s.g + wd * s.p).eval() : s.g.eval();
  if (m != 0) {
    Vec& buf = s.state[0];
    if (s.fresh) buf = d;
    else buf = buf * m + keep * d;
    if (h.nesterov) d += m * buf;
    else d = buf;
  }
  s.out = s.p - lr * d;
}

// PyTorch (AdamW: p *= 1 - lr wd instead of g += wd p): m = m b1 + (1 - b1) g; v = v b2 + (1 - b2) g²;
// v_max = max(v_max, v) (amsgrad); p -= lr / (1 - b1^t) · m / (sqrt(v) / sqrt(1 - b2^t) + eps).
void adam(const Hyper& h, Slot& s) {
  const float b1 = float(h.beta1), b2 = float(h.beta2), eps = float(h.eps), wd = float(h.weightDecay);
  // beta^t by multiplications (__builtin_powi, t an integer), not libm's pow: its GLIBC_2.29 symbol would raise
  // the glibc the prebuilt modules need past VS Code's own (2.28; test/e2e/package.test.ts checks).
  const int t = int(h.step);
  const float stepSize = float(h.lr / (1 - __builtin_powi(h.beta1, t)));
  const float bc2Sqrt = float(std::sqrt(1 - __builtin_powi(h.beta2, t)));
  Eigen::ArrayXf g = !h.decoupled && wd != 0 ? (s.g + wd * s.p).eval() : s.g.eval();
  Vec &m = s.state[0], &v = s.state[1];
  if (s.fresh) m = (1 - b1) * g, v = (1 - b2) * g.square();
  else m = m * b1 + (1 - b1) * g, v = v * b2 + (1 - b2) * g.square();
  const Vec* used = &v;
  if (h.amsgrad) {
    Vec& vMax = s.state[2];
    if (s.fresh) vMax = v;
    else vMax = vMax.max(v);
    used = &vMax;
  }
  const float decay = float(1 - h.lr * h.weightDecay);
  if (h.decoupled) s.out = s.p * decay - stepSize * (m / (used->sqrt() / bc2Sqrt + eps));
  else s.out = s.p - stepSize * (m / (used->sqrt() / bc2Sqrt + eps));
}

// PyTorch: g += wd p; sq = sq a + (1 - a) g²; avg = sqrt(sq - ga²) + eps with ga = ga a + (1 - a) g (centered),
// else sqrt(sq) + eps; buf = buf m + g / avg, p -= lr buf (momentum), else p -= lr g / avg.
void rmsprop(const Hyper& h, Slot& s) {
  const float a = float(h.alpha), eps = float(h.eps), wd = float(h.weightDecay), lr = float(h.lr), mom = float(h.momentum);
  Eigen::ArrayXf g = wd != 0 ? (s.g + wd * s.p).eval() : s.g.eval();
  size_t next = 0;
  Vec& sq = s.state[next++];
  if (s.fresh) sq = (1 - a) * g.square();
  else sq = sq * a + (1 - a) * g.square();
  Eigen::ArrayXf avg;
  if (h.centered) {
    Vec& ga = s.state[next++];
    if (s.fresh) ga = (1 - a) * g;
    else ga = ga * a + (1 - a) * g;
    avg = (sq - ga.square()).sqrt() + eps;
  } else {
    avg = sq.sqrt() + eps;
  }
  if (mom > 0) {
    Vec& buf = s.state[next++];
    if (s.fresh) buf = g / avg;
    else buf = buf * mom + g / avg;
    s.out = s.p - lr * buf;
  } else {
    s.out = s.p - lr * (g / avg);
  }
}

// optimizerStep(hyper, params, grads, out, states, fresh): params, grads and out are arrays of Float32Arrays,
// one per parameter; states[i] holds parameter i's state buffers; fresh[i] says they hold nothing yet.
Napi::Value OptimizerStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Hyper h = hyperOf(info[0].As<Napi::Object>());
  auto list = [&](size_t k, const char* what) {
    if (!info[k].IsArray()) throw Napi::TypeError::New(env, std::string(what) + ": expected an array");
    return info[k].As<Napi::Array>();
  };
  Napi::Array params = list(1, "params"), grads = list(2, "grads"), outs = list(3, "out"), states = list(4, "states"), fresh = list(5, "fresh");
  const uint32_t n = params.Length();
  if (grads.Length() != n || outs.Length() != n || states.Length() != n || fresh.Length() != n)
    throw Napi::RangeError::New(env, "optimizerStep: params, grads, out, states and fresh differ in length");
  const size_t count = stateCount(h);
  std::vector<Slot> slots;
  slots.reserve(n);
  // Every argument is checked before any parameter is updated: an error leaves the model as it was.
  for (uint32_t i = 0; i < n; i++) {
    const std::string at = "[" + std::to_string(i) + "]";
    Napi::Value pv = params[i];
    if (!pv.IsTypedArray()) throw Napi::TypeError::New(env, "params" + at + ": expected a Float32Array");
    const size_t size = pv.As<Napi::TypedArray>().ElementLength();
    const float* p = floatArray(env, pv, size, "params" + at);
    const float* g = floatArray(env, grads[i], size, "grads" + at);
    float* out = floatArray(env, outs[i], size, "out" + at);
    Napi::Value sv = states[i];
    if (!sv.IsArray() || sv.As<Napi::Array>().Length() != count)
      throw Napi::RangeError::New(env, "states" + at + ": expected " + std::to_string(count) + " state buffers");
    std::vector<Vec> state;
    for (uint32_t k = 0; k < count; k++)
      state.emplace_back(floatArray(env, sv.As<Napi::Array>()[k], size, "states" + at + "[" + std::to_string(k) + "]"), size);
    slots.push_back({CVec(p, size), CVec(g, size), Vec(out, size), std::move(state), Napi::Value(fresh[i]).ToBoolean().Value()});
  }
  for (Slot& s : slots) {
    if (h.kind == SGD) sgd(h, s);
    else if (h.kind == ADAM) adam(h, s);
    else rmsprop(h, s);
  }
  return env.Undefined();
}

}  // namespace

void registerOptimizer(Napi::Env env, Napi::Object exports) { exports.Set("optimizerStep", Napi::Function::New(env, OptimizerStep)); }

}  // namespace unroll
