// The one argument of every native entry point: a JS object whose fields are read by name and checked before
// any memory is touched (src/nn/native.ts builds it). A missing field, one of the wrong type, a size that is not
// a whole number in range, an array of the wrong length, an output array overlapping another array: each is a
// JS error naming the call and the field, never a computation on memory the caller did not mean.
#pragma once
#include <napi.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace unroll {

/** The largest number of floats any size of a call may come to: products of sizes up to it fit a long exactly. */
constexpr double kMaxFloats = 1ull << 46;

class Args {
 public:
  /** `call` names the entry point in errors ("forward"). */
  Args(const Napi::CallbackInfo& info, const char* call) : env_(info.Env()), call_(call) {
    if (info.Length() != 1 || !info[0].IsObject() || info[0].IsArray() || info[0].IsTypedArray())
      fail<Napi::TypeError>("expected one argument structure (an object with named fields)");
    o_ = info[0].As<Napi::Object>();
  }

  Napi::Env env() const { return env_; }

  /** Throws E with "<call>: <message>". */
  template <class E = Napi::RangeError>
  [[noreturn]] void fail(const std::string& message) const {
    throw E::New(env_, call_ + ": " + message);
  }

  /** A whole number from lo to hi; `fallback` where absent, if given. */
  long integer(const char* key, long lo, long hi, std::optional<long> fallback = std::nullopt) const {
    if (fallback && field(key).IsUndefined()) return *fallback;
    const double d = number(key);
    if (d != std::floor(d) || d < lo || d > hi)
      fail(std::string(key) + ": expected a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got " + show(d));
    return long(d);
  }

  /** A finite number; `fallback` where the field is absent (undefined). */
  double number(const char* key, double fallback) const {
    return field(key).IsUndefined() ? fallback : number(key);
  }

  double number(const char* key) const {
    Napi::Value v = field(key);
    if (!v.IsNumber()) fail<Napi::TypeError>(std::string(key) + ": expected a number, got " + kindOf(v));
    const double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d)) fail(std::string(key) + ": expected a finite number, got " + show(d));
    return d;
  }

  /** true or false; `fallback` where absent. */
  bool flag(const char* key, bool fallback = false) const {
    Napi::Value v = field(key);
    if (v.IsUndefined()) return fallback;
    if (!v.IsBoolean()) fail<Napi::TypeError>(std::string(key) + ": expected true or false, got " + kindOf(v));
    return v.As<Napi::Boolean>().Value();
  }

  std::string text(const char* key) const {
    Napi::Value v = field(key);
    if (!v.IsString()) fail<Napi::TypeError>(std::string(key) + ": expected a string, got " + kindOf(v));
    return v.As<Napi::String>().Utf8Value();
  }

  /** A JS array (of arrays, or of Float32Arrays) of exactly n elements. */
  Napi::Array list(const char* key, long n = -1) const {
    Napi::Value v = field(key);
    if (!v.IsArray()) fail<Napi::TypeError>(std::string(key) + ": expected an array, got " + kindOf(v));
    auto a = v.As<Napi::Array>();
    if (n >= 0 && a.Length() != uint32_t(n))
      fail(std::string(key) + ": " + std::to_string(a.Length()) + " elements, expected " + std::to_string(n));
    return a;
  }

  enum Use { IN, OUT };
  enum Need { REQUIRED, OPTIONAL };

  /** The data of field `key`, a Float32Array of exactly n floats (`formula` says how n was computed, for the
   *  error); null where OPTIONAL and the field is null or undefined. OUT: written by the call. */
  float* floats(const char* key, long n, const std::string& formula, Use use = IN, Need need = REQUIRED) {
    return floatsOf(field(key), key, n, formula, use, need);
  }

  /** The same for a value found elsewhere (an element of a list field), named `name` in errors. */
  float* floatsOf(Napi::Value v, const std::string& name, long n, const std::string& formula, Use use = IN, Need need = REQUIRED) {
    if (v.IsNull() || v.IsUndefined()) {
      if (need == OPTIONAL) return nullptr;
      fail<Napi::TypeError>(name + ": missing (expected a Float32Array of " + formula + " = " + std::to_string(n) + " floats)");
    }
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      fail<Napi::TypeError>(name + ": expected a Float32Array, got " + kindOf(v));
    auto a = v.As<Napi::Float32Array>();
    if (a.ElementLength() != size_t(n))
      fail(name + ": " + std::to_string(a.ElementLength()) + " floats, expected " + formula + " = " + std::to_string(n));
    arrays_.push_back({name, v, a.Data(), size_t(n), use});
    return a.Data();
  }

  /** A field that must be null or absent here; `why` says why. */
  void absent(const char* key, const char* why) const {
    Napi::Value v = field(key);
    if (!v.IsNull() && !v.IsUndefined()) fail<Napi::TypeError>(std::string(key) + ": " + why);
  }

  /** After every field is read (getters may have run meanwhile): each array still holds the data and length it
   *  was checked with (none was detached), and no array written by the call overlaps another array. */
  void checkArrays() const {
    for (const Array& a : arrays_) {
      auto now = Napi::Value(env_, a.value).As<Napi::Float32Array>();
      if (now.ElementLength() != a.n || now.Data() != a.data) fail(a.name + ": changed while the arguments were read");
    }
    for (size_t i = 0; i < arrays_.size(); i++) {
      for (size_t j = 0; j < arrays_.size(); j++) {
        const Array &a = arrays_[i], &b = arrays_[j];
        if (i == j || a.use != OUT || a.n == 0 || b.n == 0) continue;
        if (a.data < b.data + b.n && b.data < a.data + a.n) fail(a.name + ": overlaps " + b.name + " (an output must have memory of its own)");
      }
    }
  }

 private:
  struct Array {
    std::string name;
    napi_value value;
    float* data;
    size_t n;
    Use use;
  };

  Napi::Value field(const char* key) const { return o_.Get(key); }

  static std::string show(double d) {
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
    std::string s = std::to_string(d);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }

  static std::string kindOf(const Napi::Value& v) {
    if (v.IsUndefined()) return "nothing (the field is missing)";
    if (v.IsNull()) return "null";
    if (v.IsTypedArray()) return "another typed array";
    if (v.IsArray()) return "an array";
    if (v.IsString()) return "a string";
    if (v.IsNumber()) return "a number";
    if (v.IsBoolean()) return "a boolean";
    return "an object";
  }

  Napi::Env env_;
  std::string call_;
  Napi::Object o_;
  std::vector<Array> arrays_;
};

/** Runs an entry point's body, turning C++ errors (an allocation that failed) into JS errors of the call. */
template <class F>
Napi::Value guarded(const Napi::CallbackInfo& info, const char* call, const F& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string(call) + ": " + e.what());
  }
}

}  // namespace unroll
