// The fused optimizer step (optimizer.cc), registered on the addon's exports by recurrent.cc's Init.
#pragma once
#include <napi.h>

namespace unroll {

/** Adds `optimizerStep` to the addon's exports. */
void registerOptimizer(Napi::Env env, Napi::Object exports);

}  // namespace unroll
