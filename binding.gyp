{
  "targets": [
    {
      "target_name": "ttrl_cpu",
      "sources": ["native/cpu.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "/usr/include/x86_64-linux-gnu/openblas-pthread"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-O2"],
      "cflags_cc": ["-O3", "-march=x86-64-v3", "-fopenmp", "-std=c++17", "-ffp-contract=fast"],
      "libraries": ["-lopenblas", "-fopenmp"]
    }
  ]
}
