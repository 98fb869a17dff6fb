// Float32Array arguments of the native kernels, checked and used in place (no copies).
#pragma once
#include <napi.h>

#include <string>

namespace unroll {

/** The data of `v`, a Float32Array of at least n floats; null when `optional` and v is null or undefined.
 *  `what` names the argument in the error thrown otherwise. */
inline float* floatArray(Napi::Env env, Napi::Value v, size_t n, const std::string& what, bool optional = false) {
  if (optional && (v.IsNull() || v.IsUndefined())) return nullptr;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(env, what + ": expected a Float32Array");
  auto a = v.As<Napi::Float32Array>();
  if (a.ElementLength() < n)
    throw Napi::RangeError::New(env, what + ": " + std::to_string(a.ElementLength()) + " floats, expected " + std::to_string(n));
  return a.Data();
}

}  // namespace unroll
