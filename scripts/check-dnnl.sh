#!/usr/bin/env bash
# Prints 1 when oneDNN (libdnnl-dev) is installed, else 0 with the reason on stderr: binding.gyp then builds
# the CPU addon without its bf16 matrix products (bf16 runs as fp32 compute on bf16-rounded values).
# TTRL_NO_DNNL=1 forces that build (to test it).
if [ "${TTRL_NO_DNNL:-0}" != 1 ] && [ -f /usr/include/oneapi/dnnl/dnnl.hpp ] && { [ -e /usr/lib/x86_64-linux-gnu/libdnnl.so ] || ldconfig -p 2>/dev/null | grep -q 'libdnnl\.so '; }; then
  echo 1
else
  echo "ttrl: oneDNN (libdnnl-dev) not found: building the CPU addon without fast bf16 matrix products (bash scripts/setup.sh installs it)" >&2
  echo 0
fi
