{
  "targets": [
    {
      "target_name": "unroll_native",
      "sources": ["recurrent.cc", "optimizer.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NDEBUG"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-fexceptions", "-isystem/usr/include/eigen3", "-Wno-maybe-uninitialized"]
    }
  ]
}
