// Unroll's optional native kernels: one recurrent layer in one direction as a fused op, forward and
// backward, in cuDNN's shape of work. Forward: one GEMM for the input projection of all steps, then per step
// one recurrent GEMM and one fused pointwise pass. Backward: per step a fused pointwise pass and one GEMM for
// dh, then one GEMM each for dW_ih and dW_hh (and dW_hr) over all steps.
//
// The formulas are PyTorch's and the same as src/nn/recurrence.ts (gate order i, f, g, o for LSTM; r, z, n for
// GRU, with n = tanh(W_in x + b_in + r * (W_hn h + b_hn))). Every array is row-major float32 and is read or
// written in place: the caller passes views of the wasm heap (or the cpu backend's arrays), so nothing is
// copied on the way in or out. Packed input comes as a [T, B] mask of 0/1: where it is 0 the state passes
// through unchanged and the output is 0, so padding never reaches h_n.
//
// GEMMs are Eigen's, single-threaded inside; the work is split over threads here: the batch rows (the
// recurrence of one sample never depends on another's) and the rows of the large all-steps GEMMs. Threads
// are started per call and joined: nothing is left spinning between calls.
#include <napi.h>

#include "args.h"
#include "gemm.h"
#include "optimizer.h"
#include "parallel.h"

#define EIGEN_DONT_PARALLELIZE
#include <Eigen/Core>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Stride = Eigen::OuterStride<>;
using View = Eigen::Map<Mat, 0, Stride>;
using CView = Eigen::Map<const Mat, 0, Stride>;

/** rows × cols starting at p, `ld` floats from one row to the next (ld = cols when contiguous). */
View view(float* p, long rows, long cols, long ld) { return View(p, rows, cols, Stride(ld)); }
CView cview(const float* p, long rows, long cols, long ld) { return CView(p, rows, cols, Stride(ld)); }

enum Mode { RNN_TANH = 0, RNN_RELU = 1, LSTM = 2, GRU = 3 };

// The modes' names and gate counts are the library's (src/common/gate-layout.ts, GATES): the caller sends the count
// it uses, and it is checked here against this table, which the formulas below are written for.
struct ModeFacts {
  const char* name;
  Mode mode;
  long gates;
};
constexpr ModeFacts kModes[] = {{"RNN_TANH", RNN_TANH, 1}, {"RNN_RELU", RNN_RELU, 1}, {"LSTM", LSTM, 4}, {"GRU", GRU, 3}};

using unroll::cores;
using unroll::defaultThreads;
using unroll::parallel;
using unroll::part;

/** Scratch memory kept between calls (fresh pages cost far more than the work on them), one pool per calling
 *  thread: two worker_threads calling the kernels at once each have their own. Only the calling thread asks
 *  for it, before any of its helper threads starts. */
float* scratch(int slot, size_t n) {
  thread_local std::vector<std::vector<float>> pool;
  if (pool.size() <= size_t(slot)) pool.resize(slot + 1);
  if (pool[slot].size() < n) pool[slot].resize(n);
  return pool[slot].data();
}

/** The largest size of one dimension. */
constexpr long kMaxSize = (1l << 31) - 1;

struct Layer {
  Mode mode;
  long T, B, In, H, P, G;
  bool reverse;
  int threads;
  long GH() const { return G * H; }
  /** Extra floats saved per sample and step: LSTM c_{t-1} and tanh(c_t); GRU W_hn h + b_hn. */
  long E() const { return mode == LSTM ? 2 * H : mode == GRU ? H : 0; }
  /** The floats the forward pass saves for the backward pass: h_{t-1}, the gates' activations, extras. */
  long savedSize() const { return T * B * (P + GH() + E()); }
  long step(long k) const { return reverse ? T - 1 - k : k; }
};

/** The sizes of one layer from the call's fields, each checked, and the products of sizes checked to fit. */
Layer layerOf(const unroll::Args& a) {
  const std::string name = a.text("mode");
  const ModeFacts* facts = nullptr;
  for (const ModeFacts& m : kModes)
    if (name == m.name) facts = &m;
  if (!facts) a.fail("mode: expected RNN_TANH, RNN_RELU, LSTM or GRU, got '" + name + "'");
  Layer l;
  l.mode = facts->mode;
  l.G = a.integer("gates", 1, 4);
  if (l.G != facts->gates) a.fail("gates: " + name + " has " + std::to_string(facts->gates) + " gates, got " + std::to_string(l.G));
  l.T = a.integer("steps", 1, kMaxSize);
  l.B = a.integer("batch", 1, kMaxSize);
  l.In = a.integer("input", 1, kMaxSize);
  l.H = a.integer("hidden", 1, kMaxSize);
  l.P = a.integer("proj", 1, kMaxSize);
  if (l.mode == LSTM && l.P > l.H) a.fail("proj: expected at most hidden = " + std::to_string(l.H) + ", got " + std::to_string(l.P));
  if (l.mode != LSTM && l.P != l.H)
    a.fail("proj: only LSTM projects h, so proj must equal hidden = " + std::to_string(l.H) + ", got " + std::to_string(l.P));
  l.reverse = a.flag("reverse");
  // Every array and scratch buffer is at most one of these two products of sizes.
  const double rows = double(l.T) * double(l.B), width = double(l.In) + 4.0 * l.P + 3.0 * l.H + 2.0 * l.GH() + l.E();
  if (rows * width > unroll::kMaxFloats || double(l.GH()) * (double(l.In) + l.P + l.H) > unroll::kMaxFloats)
    a.fail("the sizes come to more than 2^46 floats");
  // Two or more threads only where the work pays for starting them, unless the caller says how many (at most
  // one per core: more only cost).
  const long asked = a.integer("threads", 0, kMaxSize);
  const double work = rows * l.GH() * (l.In + l.P);
  l.threads = asked > 0 ? int(std::min<long>(asked, cores())) : work >= 2e6 ? defaultThreads() : 1;
  return l;
}

template <class A>
auto sigmoid(const A& a) { return a.logistic(); }

/** The sums of the columns of rows × cols (`ld` floats from one row to the next) into out, row after row into an
 *  aligned accumulator: every column adds its values in the same order wherever the arrays are. Eigen's
 *  vectorised colwise().sum() summed the columns of an unaligned head in another order than the rest, so the
 *  bias gradients of LSTM and GRU depended on their addresses on the heap (the same seed trained differently
 *  after other allocations). */
void columnSums(const float* a, long rows, long cols, long ld, float* out) {
  Eigen::RowVectorXf sum = Eigen::RowVectorXf::Zero(cols);
  for (long r = 0; r < rows; r++) sum += Eigen::Map<const Eigen::RowVectorXf>(a + r * ld, cols);
  Eigen::Map<Eigen::RowVectorXf>(out, cols) = sum;
}

/** The arrays of a layer that exist only with an LSTM (c) or its projection (W_hr): required there, refused
 *  elsewhere (then read as null). */
unroll::Args::Need onlyIf(unroll::Args& a, bool present, const char* key, const char* why) {
  if (present) return unroll::Args::REQUIRED;
  a.absent(key, why);
  return unroll::Args::OPTIONAL;
}

constexpr const char* kNoCell = "only LSTM has a cell state";
constexpr const char* kNoProj = "only an LSTM whose proj is less than hidden has W_hr";

// forward({ mode, gates, steps, batch, input, hidden, proj, reverse, threads,
//           x, h0, c0, weightIh, weightHh, biasIh, biasHh, weightHr, mask, out, hN, cN, saved })
//   x [T, B, In]; h0 [B, P]; c0 [B, H] (LSTM); weightIh [G*H, In]; weightHh [G*H, P]; biasIh, biasHh [G*H] or null;
//   weightHr [P, H] (LSTM with proj < hidden); mask [T, B] of 0/1 or null.
//   out: output [T, B, P]; hN: h_n [B, P]; cN: c_n [B, H] (LSTM); saved: savedSize() floats for backward. Three
//   arrays, not one: each becomes its own tensor, with no split and reshapes after the op.
Napi::Value forward(const Napi::CallbackInfo& info) {
  using A = unroll::Args;
  A a(info, "forward");
  const Layer L = layerOf(a);
  const long T = L.T, B = L.B, In = L.In, H = L.H, P = L.P, GH = L.GH(), E = L.E();
  const bool lstm = L.mode == LSTM, gru = L.mode == GRU, projected = lstm && P != H;
  const float* x = a.floats("x", T * B * In, "steps*batch*input");
  const float* h0 = a.floats("h0", B * P, "batch*proj");
  const float* c0 = a.floats("c0", B * H, "batch*hidden", A::IN, onlyIf(a, lstm, "c0", kNoCell));
  const float* wIh = a.floats("weightIh", GH * In, "gates*hidden*input");
  const float* wHh = a.floats("weightHh", GH * P, "gates*hidden*proj");
  const float* bIh = a.floats("biasIh", GH, "gates*hidden", A::IN, A::OPTIONAL);
  const float* bHh = a.floats("biasHh", GH, "gates*hidden", A::IN, A::OPTIONAL);
  const float* wHr = a.floats("weightHr", P * H, "proj*hidden", A::IN, onlyIf(a, projected, "weightHr", kNoProj));
  const float* mask = a.floats("mask", T * B, "steps*batch", A::IN, A::OPTIONAL);
  float* out = a.floats("out", T * B * P, "steps*batch*proj", A::OUT);
  float* hN = a.floats("hN", B * P, "batch*proj", A::OUT);
  float* cN = a.floats("cN", B * H, "batch*hidden", A::OUT, onlyIf(a, lstm, "cN", kNoCell));
  float* saved = a.floats("saved", L.savedSize(), "steps*batch*(proj + gates*hidden + extras)", A::OUT);
  a.checkArrays();
  float* hPrevAll = saved;
  float* gatesAll = saved + T * B * P;
  float* extAll = gatesAll + T * B * GH;

  // The input projection of all steps, with the biases that can be added once (all but GRU's b_hn).
  float* xw = scratch(0, T * B * GH);
  Eigen::RowVectorXf bias = Eigen::RowVectorXf::Zero(GH);
  if (bIh) bias = Eigen::Map<const Eigen::RowVectorXf>(bIh, GH);
  if (bHh && !gru) bias += Eigen::Map<const Eigen::RowVectorXf>(bHh, GH);
  auto Wih = cview(wIh, GH, In, In);
  auto Whh = cview(wHh, GH, P, P);
  parallel(L.threads, [&](int i) {
    auto [lo, hi] = part(i, L.threads, T * B);
    auto XW = view(xw + lo * GH, hi - lo, GH, GH);
    XW.noalias() = cview(x + lo * In, hi - lo, In, In) * Wih.transpose();
    XW.rowwise() += bias;
  });

  // Per thread: its own rows of the batch through all steps.
  const int threads = int(std::min<long>(L.threads, B));
  std::vector<float*> work(threads);
  for (int i = 0; i < threads; i++) work[i] = scratch(1 + i, B * (2 * P + 3 * H + GH));
  parallel(threads, [&](int i) {
    auto [b0, b1] = part(i, threads, B);
    const long n = b1 - b0;
    if (n == 0) return;
    float* h = work[i];            // the state h [n, P]
    float* c = h + n * P;          // the state c [n, H]
    float* hNew = c + n * H;       // the new h [n, P]
    float* hRaw = hNew + n * P;    // LSTM's h before the projection [n, H]
    float* cNew = hRaw + n * H;    // [n, H]
    float* gh = cNew + n * H;      // GRU: W_hh h + b_hh [n, GH]
    std::memcpy(h, h0 + b0 * P, n * P * sizeof(float));
    if (lstm) std::memcpy(c, c0 + b0 * H, n * H * sizeof(float));
    auto Hs = view(h, n, P, P);
    for (long k = 0; k < T; k++) {
      const long t = L.step(k);
      const long row = t * B + b0;
      std::memcpy(hPrevAll + row * P, h, n * P * sizeof(float));
      auto Gt = view(gatesAll + row * GH, n, GH, GH);
      auto XWt = cview(xw + row * GH, n, GH, GH);
      auto gate = [&](int g) { return Gt.middleCols(g * H, H).array(); };
      auto Hn = view(hNew, n, P, P);
      if (gru) {
        auto GHt = view(gh, n, GH, GH);
        GHt.noalias() = Hs * Whh.transpose();
        if (bHh) GHt.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(bHh, GH);
        auto hn = view(extAll + row * E, n, H, E);
        hn = GHt.middleCols(2 * H, H);
        gate(0) = sigmoid(XWt.middleCols(0, H).array() + GHt.middleCols(0, H).array());
        gate(1) = sigmoid(XWt.middleCols(H, H).array() + GHt.middleCols(H, H).array());
        gate(2) = (XWt.middleCols(2 * H, H).array() + gate(0) * hn.array()).tanh();
        Hn.array() = gate(2) + gate(1) * (Hs.array() - gate(2));
      } else {
        Gt = XWt;
        Gt.noalias() += Hs * Whh.transpose();
        if (lstm) {
          gate(0) = sigmoid(gate(0));
          gate(1) = sigmoid(gate(1));
          gate(2) = gate(2).tanh();
          gate(3) = sigmoid(gate(3));
          auto Cs = view(c, n, H, H).array();
          auto Cn = view(cNew, n, H, H).array();
          view(extAll + row * E, n, H, E).array() = Cs;  // c_{t-1}
          Cn = gate(1) * Cs + gate(0) * gate(2);
          auto tanhC = view(extAll + row * E + H, n, H, E).array();
          tanhC = Cn.tanh();
          if (wHr) {
            auto Hr = view(hRaw, n, H, H);
            Hr.array() = gate(3) * tanhC;
            Hn.noalias() = Hr * cview(wHr, P, H, H).transpose();
          } else {
            Hn.array() = gate(3) * tanhC;
          }
        } else if (L.mode == RNN_TANH) {
          gate(0) = gate(0).tanh();
          Hn = Gt;
        } else {
          gate(0) = gate(0).max(0.f);
          Hn = Gt;
        }
      }
      // The new state, where the mask lets it through; the output (0 at padding).
      for (long b = 0; b < n; b++) {
        const bool on = !mask || mask[t * B + b0 + b] != 0.f;
        float* o = out + (row + b) * P;
        if (on) {
          std::memcpy(o, hNew + b * P, P * sizeof(float));
          std::memcpy(h + b * P, hNew + b * P, P * sizeof(float));
          if (lstm) std::memcpy(c + b * H, cNew + b * H, H * sizeof(float));
        } else {
          std::fill(o, o + P, 0.f);
        }
      }
    }
    std::memcpy(hN + b0 * P, h, n * P * sizeof(float));
    if (lstm) std::memcpy(cN + b0 * H, c, n * H * sizeof(float));
  });
  return info.Env().Undefined();
}

// backward({ the sizes as forward's, x, weightIh, weightHh, weightHr, mask, saved, dOut, dhN, dcN,
//            dx, dh0, dc0, dWeightIh, dWeightHh, dBiasIh, dBiasHh, dWeightHr, dhNorms })
//   dOut: d output [T, B, P]; dhN: d h_n [B, P]; dcN: d c_n [B, H] (LSTM). Every gradient is written, none added
//   to; dBiasIh, dBiasHh: null where the layer has no biases; dWeightHr where it has weightHr.
//   dhNorms (optional, while dynamics are recorded): ‖∂L/∂h_t‖ of sample 0 for each time t, 0 at padding.
Napi::Value backward(const Napi::CallbackInfo& info) {
  using A = unroll::Args;
  A a(info, "backward");
  const Layer L = layerOf(a);
  const long T = L.T, B = L.B, In = L.In, H = L.H, P = L.P, GH = L.GH(), E = L.E();
  const bool lstm = L.mode == LSTM, gru = L.mode == GRU, projected = lstm && P != H;
  const float* x = a.floats("x", T * B * In, "steps*batch*input");
  const float* wIh = a.floats("weightIh", GH * In, "gates*hidden*input");
  const float* wHh = a.floats("weightHh", GH * P, "gates*hidden*proj");
  const float* wHr = a.floats("weightHr", P * H, "proj*hidden", A::IN, onlyIf(a, projected, "weightHr", kNoProj));
  const float* mask = a.floats("mask", T * B, "steps*batch", A::IN, A::OPTIONAL);
  const float* saved = a.floats("saved", L.savedSize(), "steps*batch*(proj + gates*hidden + extras)");
  const float* dOut = a.floats("dOut", T * B * P, "steps*batch*proj");
  const float* dhN = a.floats("dhN", B * P, "batch*proj");
  const float* dcN = a.floats("dcN", B * H, "batch*hidden", A::IN, onlyIf(a, lstm, "dcN", kNoCell));
  float* dx = a.floats("dx", T * B * In, "steps*batch*input", A::OUT);
  float* dh0 = a.floats("dh0", B * P, "batch*proj", A::OUT);
  float* dc0 = a.floats("dc0", B * H, "batch*hidden", A::OUT, onlyIf(a, lstm, "dc0", kNoCell));
  float* dWih = a.floats("dWeightIh", GH * In, "gates*hidden*input", A::OUT);
  float* dWhh = a.floats("dWeightHh", GH * P, "gates*hidden*proj", A::OUT);
  float* dBih = a.floats("dBiasIh", GH, "gates*hidden", A::OUT, A::OPTIONAL);
  float* dBhh = a.floats("dBiasHh", GH, "gates*hidden", A::OUT, A::OPTIONAL);
  float* dWhr = a.floats("dWeightHr", P * H, "proj*hidden", A::OUT, onlyIf(a, projected, "dWeightHr", kNoProj));
  float* dhNorms = a.floats("dhNorms", T, "steps", A::OUT, A::OPTIONAL);
  a.checkArrays();
  const float* hPrevAll = saved;
  const float* gatesAll = saved + T * B * P;
  const float* extAll = gatesAll + T * B * GH;
  auto Whh = cview(wHh, GH, P, P);

  // Gradients w.r.t. the pre-activations of every step: of x W_ih^T + b_ih (dGi) and of h W_hh^T + b_hh
  // (dGh; the same but for GRU's n gate). LSTM with a projection: d h_t and h_t before the projection.
  float* dGi = scratch(0, T * B * GH);
  float* dGh = gru ? scratch(1, T * B * GH) : dGi;
  float* dProj = wHr ? scratch(2, T * B * P) : nullptr;
  float* hRawAll = wHr ? scratch(3, T * B * H) : nullptr;
  const int threads = int(std::min<long>(L.threads, B));
  std::vector<float*> work(threads);
  for (int i = 0; i < threads; i++) work[i] = scratch(4 + i, B * (4 * P + 3 * H));
  parallel(threads, [&](int i) {
    auto [b0, b1] = part(i, threads, B);
    const long n = b1 - b0;
    if (n == 0) return;
    float* dh = work[i];          // d h_t from the steps after t [n, P]
    float* dhNext = dh + n * P;   // [n, P]
    float* dhT = dhNext + n * P;  // the total d h_t [n, P]
    float* dc = dhT + n * P;      // [n, H]
    float* dcNext = dc + n * H;   // [n, H]
    float* dhRaw = dcNext + n * H;  // [n, H]
    std::memcpy(dh, dhN + b0 * P, n * P * sizeof(float));
    if (lstm) std::memcpy(dc, dcN + b0 * H, n * H * sizeof(float));
    for (long k = T - 1; k >= 0; k--) {
      const long t = L.step(k);
      const long row = t * B + b0;
      auto DhT = view(dhT, n, P, P);
      DhT = cview(dOut + row * P, n, P, P) + view(dh, n, P, P);
      if (dhNorms && b0 == 0) dhNorms[t] = !mask || mask[t * B] != 0.f ? DhT.row(0).norm() : 0.f;
      auto Gt = cview(gatesAll + row * GH, n, GH, GH);
      auto gate = [&](int g) { return Gt.middleCols(g * H, H).array(); };
      auto DGi = view(dGi + row * GH, n, GH, GH);
      auto dgate = [&](int g) { return DGi.middleCols(g * H, H).array(); };
      auto DhNext = view(dhNext, n, P, P);
      if (lstm) {
        auto cPrev = cview(extAll + row * E, n, H, E).array();
        auto tanhC = cview(extAll + row * E + H, n, H, E).array();
        auto DhRaw = view(dhRaw, n, H, H);
        if (wHr) {
          view(dProj + row * P, n, P, P) = DhT;
          view(hRawAll + row * H, n, H, H).array() = gate(3) * tanhC;
          DhRaw.noalias() = DhT * cview(wHr, P, H, H);
        } else {
          DhRaw = DhT;
        }
        auto DcT = view(dcNext, n, H, H).array();  // d c_t in total, then d c_{t-1} in place
        DcT = view(dc, n, H, H).array() + DhRaw.array() * gate(3) * (1.f - tanhC.square());
        dgate(0) = DcT * gate(2) * gate(0) * (1.f - gate(0));
        dgate(1) = DcT * cPrev * gate(1) * (1.f - gate(1));
        dgate(2) = DcT * gate(0) * (1.f - gate(2).square());
        dgate(3) = DhRaw.array() * tanhC * gate(3) * (1.f - gate(3));
        DcT *= gate(1);
      } else if (gru) {
        auto hn = cview(extAll + row * E, n, H, E).array();
        auto hPrev = cview(hPrevAll + row * P, n, P, P).array();
        auto dn = dgate(2);
        dn = DhT.array() * (1.f - gate(1)) * (1.f - gate(2).square());
        dgate(1) = DhT.array() * (hPrev - gate(2)) * gate(1) * (1.f - gate(1));
        dgate(0) = dn * hn * gate(0) * (1.f - gate(0));
        auto DGh = view(dGh + row * GH, n, GH, GH);
        DGh.leftCols(2 * H) = DGi.leftCols(2 * H);
        DGh.middleCols(2 * H, H).array() = dn * gate(0);
      } else if (L.mode == RNN_TANH) {
        dgate(0) = DhT.array() * (1.f - gate(0).square());
      } else {
        dgate(0) = DhT.array() * (gate(0) > 0.f).cast<float>();
      }
      // Padding: no gradient into this step; d h and d c pass through to the step before.
      if (mask) {
        for (long b = 0; b < n; b++) {
          if (mask[t * B + b0 + b] != 0.f) continue;
          DGi.row(b).setZero();
          if (gru) view(dGh + row * GH, n, GH, GH).row(b).setZero();
          if (wHr) view(dProj + row * P, n, P, P).row(b).setZero();
        }
      }
      auto DGh = cview(dGh + row * GH, n, GH, GH);
      if (gru) DhNext.array() = DhT.array() * gate(1);
      if (gru) DhNext.noalias() += DGh * Whh; else DhNext.noalias() = DGh * Whh;
      if (mask) {
        for (long b = 0; b < n; b++) {
          if (mask[t * B + b0 + b] != 0.f) continue;
          std::memcpy(dhNext + b * P, dh + b * P, P * sizeof(float));
          if (lstm) std::memcpy(dcNext + b * H, dc + b * H, H * sizeof(float));
        }
      }
      std::swap(dh, dhNext);
      if (lstm) std::swap(dc, dcNext);
    }
    std::memcpy(dh0 + b0 * P, dh, n * P * sizeof(float));
    if (lstm) std::memcpy(dc0 + b0 * H, dc, n * H * sizeof(float));
  });

  // Over all steps at once: d x, and the weight gradients, their rows split over the threads.
  auto DGiAll = cview(dGi, T * B, GH, GH);
  auto DGhAll = cview(dGh, T * B, GH, GH);
  parallel(L.threads, [&](int i) {
    auto [lo, hi] = part(i, L.threads, T * B);
    view(dx + lo * In, hi - lo, In, In).noalias() = cview(dGi + lo * GH, hi - lo, GH, GH) * cview(wIh, GH, In, In);
    auto [g0, g1] = part(i, L.threads, GH);
    view(dWih + g0 * In, g1 - g0, In, In).noalias() = DGiAll.middleCols(g0, g1 - g0).transpose() * cview(x, T * B, In, In);
    view(dWhh + g0 * P, g1 - g0, P, P).noalias() = DGhAll.middleCols(g0, g1 - g0).transpose() * cview(hPrevAll, T * B, P, P);
    if (dBih) columnSums(dGi + g0, T * B, g1 - g0, GH, dBih + g0);
    if (dBhh) columnSums(dGh + g0, T * B, g1 - g0, GH, dBhh + g0);
    if (dWhr) {
      auto [p0, p1] = part(i, L.threads, P);
      view(dWhr + p0 * H, p1 - p0, H, H).noalias() = cview(dProj, T * B, P, P).middleCols(p0, p1 - p0).transpose() * cview(hRawAll, T * B, H, H);
    }
  });
  return info.Env().Undefined();
}

/** What runs: the library, the SIMD instructions it was built with, and the threads it may use. */
Napi::Value Info(const Napi::CallbackInfo& info) {
  auto o = Napi::Object::New(info.Env());
  o.Set("library", "Eigen " + std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
                       std::to_string(EIGEN_MINOR_VERSION));
  o.Set("simd", Eigen::SimdInstructionSetsInUse());
  o.Set("threads", defaultThreads());
  o.Set("cores", cores());
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("forward", Napi::Function::New(env, [](const Napi::CallbackInfo& info) { return unroll::guarded(info, "forward", [&] { return forward(info); }); }));
  exports.Set("backward", Napi::Function::New(env, [](const Napi::CallbackInfo& info) { return unroll::guarded(info, "backward", [&] { return backward(info); }); }));
  exports.Set("info", Napi::Function::New(env, Info));
  unroll::registerOptimizer(env, exports);
  unroll::registerGemm(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(unroll_native, Init)
