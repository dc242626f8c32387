#!/usr/bin/env bash
# Builds the optional CUDA backend (native/cuda/) next to the CPU addon:
#   build/Release/ttrl_cuda.node      the GPU backend, with nvcc, for sm_90 (H100 / H200) plus compute_90 PTX
#   build/Release/ttrl_cuda_emu.node  the same kernels on the host emulator (native/cuda/emu.h), with g++,
#                                     which the kernel tests run on machines without a GPU
# `npm ci` runs it through binding.gyp's ttrl_cuda target. It never fails the install: each part that
# cannot be built prints one line and is skipped, and everything else works without it.
#
#   bash scripts/build-cuda.sh [--out DIR] [--nodedir DIR] [--only gpu|emu]
#
# Environment: TTRL_CUDA=0 skips the GPU build, TTRL_CUDA_EMU=0 the emulator; NVCC picks the compiler
# (default: nvcc on PATH, else /usr/local/cuda/bin/nvcc); TTRL_CUDA_ARCH overrides the -gencode flags.
set -uo pipefail
start_dir=$(pwd)
out="" nodedir="" only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --nodedir) nodedir=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "build-cuda: unknown argument $1 (usage: bash scripts/build-cuda.sh [--out DIR] [--nodedir DIR] [--only gpu|emu])" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
root=$(pwd)
case "$out" in "") out=$root/build/Release ;; /*) ;; *) out=$start_dir/$out ;; esac
mkdir -p "$out" "$root/build/cuda"
log=$root/build/cuda/build.log
: >"$log"

# Node's headers: the --nodedir node-gyp builds against, npm's nodedir setting, or beside the node binary.
node_inc=""
for d in "$nodedir" "$(npm config get nodedir 2>/dev/null)" "$(dirname "$(dirname "$(command -v node)")")" /usr; do
  if [ -n "$d" ] && [ -f "$d/include/node/node_api.h" ]; then node_inc=$d/include/node; break; fi
done
napi_inc=$(node -p "require('node-addon-api').include_dir" 2>/dev/null)
if [ -z "$node_inc" ] || [ -z "$napi_inc" ]; then
  echo "build-cuda: skipped (Node headers or node-addon-api not found); the CUDA backend is unavailable"
  exit 0
fi
defs=(-DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -I"$node_inc" -I"$root/$napi_inc" -I"$napi_inc")
kernels=(dense gemm transformer attention bf16 sample)
glue=(addon addon_sample cublas)  # host code: compiled by g++ in both builds
src=$root/native/cuda
obj=$root/build/cuda

# Compiles "name:command..." jobs two at a time (the machines have 2 cores); returns non-zero if any failed.
run_jobs() {
  local pids=() failed=0
  for cmd in "$@"; do
    bash -c "$cmd" >>"$log" 2>&1 &
    pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}" || failed=1; pids=("${pids[@]:1}"); fi
  done
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  return $failed
}

build_emu() {
  local t0=$SECONDS cmds=() objs=()
  local cxx=(g++ -std=c++17 -O2 -fPIC -ffp-contract=off -DTTRL_CUDA_EMU "${defs[@]}")
  for k in "${kernels[@]}" "${glue[@]}"; do
    local f=$src/$k.cu; [ -f "$src/$k.cc" ] && f=$src/$k.cc
    cmds+=("${cxx[*]} -x c++ -c $f -o $obj/emu-$k.o")
    objs+=("$obj/emu-$k.o")
  done
  # a host stand-in for libcublas.so, to test the cuBLAS call without a GPU (test/tensor/device.test.ts)
  cmds+=("g++ -O2 -fPIC -shared $src/fake_cublas.cc -o $out/ttrl_fake_cublas.so")
  if run_jobs "${cmds[@]}" && g++ -shared -o "$out/ttrl_cuda_emu.node" "${objs[@]}" -ldl >>"$log" 2>&1; then
    echo "build-cuda: built $(basename "$out")/ttrl_cuda_emu.node (kernels on the host emulator, for tests) in $((SECONDS - t0)) s"
  else
    rm -f "$out/ttrl_cuda_emu.node"
    echo "build-cuda: the emulator build failed (see build/cuda/build.log); kernel tests will skip the emulated backend"
  fi
}

build_gpu() {
  local nvcc=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
  if [ ! -x "$nvcc" ]; then
    echo "build-cuda: skipped the GPU build (nvcc not found); the CUDA backend is unavailable, the CPU one is unaffected"
    return
  fi
  local t0=$SECONDS cmds=() objs=()
  local arch=${TTRL_CUDA_ARCH:-"-gencode=arch=compute_90,code=sm_90 -gencode=arch=compute_90,code=compute_90"}
  local nv=("$nvcc" -std=c++17 -O3 "$arch" -Xcompiler -fPIC)
  for k in "${kernels[@]}"; do
    cmds+=("${nv[*]} -c $src/$k.cu -o $obj/gpu-$k.o")
    objs+=("$obj/gpu-$k.o")
  done
  # the host glue needs only the runtime API's header: g++ compiles it faster than nvcc
  local cuda_inc="" d
  for d in "${CUDA_HOME:-}" "$(dirname "$(dirname "$(readlink -f "$nvcc")")")" /usr/local/cuda; do
    if [ -n "$d" ] && [ -f "$d/include/cuda_runtime.h" ]; then cuda_inc=$d/include; break; fi
  done
  for k in "${glue[@]}"; do
    cmds+=("g++ -std=c++17 -O2 -fPIC ${defs[*]} -I$cuda_inc -c $src/$k.cc -o $obj/gpu-$k.o")
    objs+=("$obj/gpu-$k.o")
  done
  # cudart linked statically: the addon needs only the driver (libcuda.so), which it looks for when loaded
  if run_jobs "${cmds[@]}" && "$nvcc" -shared $arch -cudart static -o "$out/ttrl_cuda.node" "${objs[@]}" -ldl >>"$log" 2>&1; then
    echo "build-cuda: built $(basename "$out")/ttrl_cuda.node ($("$nvcc" --version | grep -o 'release [0-9.]*'), sm_90) in $((SECONDS - t0)) s"
  else
    rm -f "$out/ttrl_cuda.node"
    echo "build-cuda: nvcc failed (see build/cuda/build.log); the CUDA backend is unavailable, the CPU one is unaffected"
  fi
}

[ "$only" != gpu ] && [ "${TTRL_CUDA_EMU:-1}" != 0 ] && build_emu
[ "$only" != emu ] && [ "${TTRL_CUDA:-1}" != 0 ] && build_gpu
touch "$root/build/cuda/stamp"
exit 0
