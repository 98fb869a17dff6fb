# The native kernels, one loadable module per CPU variant (src/nn/native.ts picks the best the CPU runs, at run
# time): Eigen selects its SIMD code when it is compiled, so each variant is the same sources compiled with other
# -m flags. On x64: baseline (x86-64: SSE2), avx2 (AVX2, FMA, F16C) and avx512 (AVX-512 F/CD/BW/DQ/VL + the
# former); elsewhere one baseline for the compiler's default target. The sources are every native/*.cc.
# scripts/build-native.mjs builds them and copies them to prebuilds/<platform>-<arch>/unroll_native_<variant>.node.
# With UNROLL_NATIVE_SANITIZE=1 (build-native.mjs --sanitize) it builds one module instead, unroll_native_sanitize,
# under AddressSanitizer and UndefinedBehaviorSanitizer with Eigen's assertions on, for the fuzz test (.ci/run).
{
  "variables": { "sanitize": "<!(node -p \"process.env.UNROLL_NATIVE_SANITIZE === '1' ? 1 : 0\")" },
  "target_defaults": {
    "sources": ["<!@(node -p \"require('fs').readdirSync('.').filter((f) => f.endsWith('.cc')).sort().join(' ')\")"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NDEBUG"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions"],
    "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-isystem/usr/include/eigen3", "-Wno-maybe-uninitialized"],
    "ldflags": ["-s"]
  },
  "conditions": [
    [
      "sanitize==1",
      {
        "targets": [
          {
            "target_name": "unroll_native_sanitize",
            "defines!": ["NDEBUG"],
            "cflags_cc": ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"],
            "ldflags!": ["-s"],
            "ldflags": ["-fsanitize=address,undefined"]
          }
        ]
      }
    ],
    [
      "sanitize==0 and target_arch=='x64'",
      {
        "targets": [
          { "target_name": "unroll_native_baseline", "cflags_cc": ["-march=x86-64", "-mtune=generic"] },
          { "target_name": "unroll_native_avx2", "cflags_cc": ["-march=x86-64", "-mtune=generic", "-mavx2", "-mfma", "-mf16c"] },
          {
            "target_name": "unroll_native_avx512",
            "cflags_cc": ["-march=x86-64", "-mtune=generic", "-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512cd", "-mavx512bw", "-mavx512dq", "-mavx512vl"]
          }
        ]
      }
    ],
    ["sanitize==0 and target_arch!='x64'", { "targets": [{ "target_name": "unroll_native_baseline" }] }]
  ]
}
