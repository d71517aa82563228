{
  "targets": [
    {
      "target_name": "regulab_kernels",
      "sources": [
        "native/src/addon.cc",
        "native/src/addon_sequence.cc",
        "native/src/thread_pool.cc",
        "native/src/gemm.cc",
        "native/src/conv.cc",
        "native/src/conv_filter.cc",
        "native/src/pool.cc",
        "native/src/depthwise.cc",
        "native/src/scratch.cc",
        "native/src/elementwise.cc",
        "native/src/uniform_mask.cc",
        "native/src/lstm.cc",
        "native/src/gru.cc",
        "native/src/lstm_norm.cc",
        "native/src/gru_norm.cc",
        "native/src/isa_select.cc",
        "native/src/isa_baseline.cc",
        "native/src/isa_avx2.cc",
        "native/src/isa_avx512.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-O3", "-ffp-contract=fast", "-fno-math-errno", "-Wno-psabi", "-Wno-unused-function"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffp-contract=fast"]
      }
    }
  ]
}
