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

#include "args.h"

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

Hyper hyperOf(const Args& a) {
  Hyper h;
  h.kind = Kind(a.integer("kind", SGD, RMSPROP));
  h.lr = a.number("lr"), h.weightDecay = a.number("weightDecay", 0), h.momentum = a.number("momentum", 0);
  h.dampening = a.number("dampening", 0), h.beta1 = a.number("beta1", 0), h.beta2 = a.number("beta2", 0);
  h.eps = a.number("eps", 0), h.alpha = a.number("alpha", 0), h.step = double(a.integer("step", 0, 1l << 40, 0));
  h.nesterov = a.flag("nesterov"), h.decoupled = a.flag("decoupled"), h.amsgrad = a.flag("amsgrad"), h.centered = a.flag("centered");
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
  // 1 - beta in double, then float, as PyTorch passes it (alpha=1 - beta1): 1 - float(0.999) is 1.3e-5 off 0.001,
  // a bias that made Adam's steps larger than PyTorch's.
  const float c1 = float(1 - h.beta1), c2 = float(1 - h.beta2);
  // beta^t by multiplications (__builtin_powi, t an integer), not libm's pow: its GLIBC_2.29 symbol would raise
  // the glibc the prebuilt modules need past VS Code's own (2.28; test/e2e/package.test.ts checks).
  const int t = int(h.step);
  const float stepSize = float(h.lr / (1 - __builtin_powi(h.beta1, t)));
  const float bc2Sqrt = float(std::sqrt(1 - __builtin_powi(h.beta2, t)));
  Eigen::ArrayXf g = !h.decoupled && wd != 0 ? (s.g + wd * s.p).eval() : s.g.eval();
  Vec &m = s.state[0], &v = s.state[1];
  if (s.fresh) m = c1 * g, v = c2 * g.square();
  else m = m * b1 + c1 * g, v = v * b2 + c2 * g.square();
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
  const float c = float(1 - h.alpha); // in double, as PyTorch's value=1 - alpha (see adam)
  Eigen::ArrayXf g = wd != 0 ? (s.g + wd * s.p).eval() : s.g.eval();
  size_t next = 0;
  Vec& sq = s.state[next++];
  if (s.fresh) sq = c * g.square();
  else sq = sq * a + c * g.square();
  Eigen::ArrayXf avg;
  if (h.centered) {
    Vec& ga = s.state[next++];
    if (s.fresh) ga = c * g;
    else ga = ga * a + c * g;
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

// optimizerStep({ kind, lr, step, weightDecay, …, params, grads, out, states, fresh }): the hyperparameters
// (absent ones are 0 or false; kind: 0 SGD, 1 Adam or AdamW, 2 RMSprop), then params, grads and out, arrays of
// Float32Arrays, one per parameter; states[i] holds parameter i's state buffers; fresh[i] says they hold
// nothing yet.
Napi::Value optimizerStep(const Napi::CallbackInfo& info) {
  Args a(info, "optimizerStep");
  const Hyper h = hyperOf(a);
  Napi::Array params = a.list("params");
  const uint32_t n = params.Length();
  Napi::Array grads = a.list("grads", n), outs = a.list("out", n), states = a.list("states", n), fresh = a.list("fresh", n);
  const size_t count = stateCount(h);
  std::vector<Slot> slots;
  slots.reserve(n);
  // Every argument is checked before any parameter is updated: an error leaves the model as it was.
  for (uint32_t i = 0; i < n; i++) {
    const std::string at = "[" + std::to_string(i) + "]";
    Napi::Value pv = params[i];
    if (!pv.IsTypedArray()) a.fail<Napi::TypeError>("params" + at + ": expected a Float32Array");
    const long size = long(pv.As<Napi::TypedArray>().ElementLength());
    const float* p = a.floatsOf(pv, "params" + at, size, "its length");
    const float* g = a.floatsOf(grads[i], "grads" + at, size, "params" + at + "'s length");
    float* out = a.floatsOf(outs[i], "out" + at, size, "params" + at + "'s length", Args::OUT);
    Napi::Value sv = states[i];
    if (!sv.IsArray() || sv.As<Napi::Array>().Length() != count)
      a.fail("states" + at + ": expected " + std::to_string(count) + " state buffers");
    std::vector<Vec> state;
    for (uint32_t k = 0; k < count; k++) {
      const std::string name = "states" + at + "[" + std::to_string(k) + "]";
      state.emplace_back(a.floatsOf(sv.As<Napi::Array>()[k], name, size, "params" + at + "'s length", Args::OUT), size);
    }
    Napi::Value fv = fresh[i];
    if (!fv.IsBoolean()) a.fail<Napi::TypeError>("fresh" + at + ": expected true or false");
    slots.push_back({CVec(p, size), CVec(g, size), Vec(out, size), std::move(state), fv.As<Napi::Boolean>().Value()});
  }
  a.checkArrays();
  for (Slot& s : slots) {
    if (h.kind == SGD) sgd(h, s);
    else if (h.kind == ADAM) adam(h, s);
    else rmsprop(h, s);
  }
  return info.Env().Undefined();
}

}  // namespace

void registerOptimizer(Napi::Env env, Napi::Object exports) {
  exports.Set("optimizerStep", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                return guarded(info, "optimizerStep", [&] { return optimizerStep(info); });
              }));
}

}  // namespace unroll
