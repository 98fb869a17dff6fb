// The GEMM-rate entry of the bench (gemm.cc), registered on the addon's exports by recurrent.cc's Init.
#pragma once
#include <napi.h>

namespace unroll {

/** Adds `gemmTime` to the addon's exports. */
void registerGemm(Napi::Env env, Napi::Object exports);

}  // namespace unroll
