{
  "targets": [
    {
      "target_name": "ttrl_cpu",
      "sources": [
        "native/cpu/addon.cc",
        "native/cpu/addon_bf16.cc",
        "native/cpu/dense.cc",
        "native/cpu/transformer.cc",
        "native/cpu/loss.cc",
        "native/cpu/attention.cc",
        "native/cpu/attention_backward.cc",
        "native/cpu/bf16.cc",
        "native/cpu/split.cc",
        "native/cpu/sample.cc",
        "native/cpu/skinny.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "/usr/include/x86_64-linux-gnu/openblas-pthread"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"
      ],
      "cflags!": [
        "-fno-exceptions"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-O2"
      ],
      "cflags_cc": [
        "-O3",
        "-march=x86-64-v3",
        "-fopenmp",
        "-std=c++17",
        "-ffp-contract=fast"
      ],
      "libraries": [
        "-lopenblas",
        "-fopenmp"
      ],
      "conditions": [
        [
          "<!(bash scripts/check-dnnl.sh)==1",
          {
            "libraries": [
              "-ldnnl"
            ]
          },
          {
            "defines": [
              "TTRL_NO_DNNL"
            ]
          }
        ]
      ]
    },
    {
      "target_name": "ttrl_cuda",
      "type": "none",
      "actions": [
        {
          "action_name": "build_cuda",
          "inputs": [
            "scripts/build-cuda.sh",
            "native/split.h",
            "<!@(ls native/cuda/*)"
          ],
          "outputs": [
            "<(module_root_dir)/build/cuda/stamp"
          ],
          "action": [
            "bash",
            "<(module_root_dir)/scripts/build-cuda.sh",
            "--out",
            "<(module_root_dir)/build/Release",
            "--nodedir",
            "<(node_root_dir)"
          ]
        }
      ]
    }
  ]
}
