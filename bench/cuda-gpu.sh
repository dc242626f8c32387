#!/usr/bin/env bash
# Runs on the GPU machine, inside the unpacked bundle of scripts/build-cuda-bundle.sh (docs/cuda.md has the
# device-tool command): the CUDA kernel, attention and model-parity tests, then bench/cuda.ts with cuBLAS
# and with the built-in SGEMM. Raw outputs go to $OUT (or ./out): gpu-info.txt, tests.txt,
# bench-cuda.json, bench-cuda-builtin.json, sanitizer.txt.
#
#   bash cuda-gpu.sh [tests|bench|sanitize|all]   (default all; tests ≈ 1 min, bench ≈ 3-6 min)
set -uo pipefail
cd "$(dirname "$0")"
here=$(pwd)
out=${OUT:-$here/out}
mkdir -p "$out"
export PATH=$here:$PATH LD_LIBRARY_PATH=$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export TTRL_SHARED=$here/shared TTRL_COMMIT=$(cat COMMIT) TTRL_CUDA_EMU_TESTS=0
# cuBLAS ships inside PyTorch's wheels there; src/tensor/cuda.ts also looks, this pins the one found first
if [ -z "${TTRL_CUBLAS:-}" ]; then
  TTRL_CUBLAS=$(find / \( -path /proc -o -path /sys -o -path /tmp \) -prune -o -name 'libcublas.so.1[0-9]' -print 2>/dev/null | sort | tail -1)
  export TTRL_CUBLAS
fi
what=${1:-all}

{
  echo "commit $(cat COMMIT)"; date -u; node --version
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
  echo "TTRL_CUBLAS=$TTRL_CUBLAS"
  node -e "import('./dist/src/tensor/cuda.js').then(m => { const b = new m.CudaBackend(); console.log(JSON.stringify({ device: b.device, cublas: b.cublas, cublasError: b.cublasError })) })"
} 2>&1 | tee "$out/gpu-info.txt"

if [ "$what" = all ] || [ "$what" = tests ]; then
  node --test --test-concurrency=1 --test-reporter=spec dist/test/tensor/ 2>&1 | tee "$out/tests.txt" | grep -E '^(✔|✖|﹣)|^ℹ (tests|pass|fail|skipped)'
fi
if [ "$what" = all ] || [ "$what" = bench ]; then
  node --expose-gc dist/bench/cuda.js --out "$out/bench-cuda.json" >/dev/null
  node --expose-gc dist/bench/cuda.js --gemm builtin --models 0.5b --out "$out/bench-cuda-builtin.json" >/dev/null
fi
if [ "$what" = sanitize ]; then
  # out-of-bounds and race checks of every kernel on the small shapes of the kernel suites
  compute-sanitizer --tool memcheck --error-exitcode 1 node --test --test-concurrency=1 dist/test/tensor/kernels.test.js dist/test/tensor/attention.test.js >"$out/sanitizer.txt" 2>&1
  echo "memcheck exit $?" | tee -a "$out/sanitizer.txt"
  compute-sanitizer --tool racecheck node --test dist/test/tensor/attention.test.js >>"$out/sanitizer.txt" 2>&1
  echo "racecheck exit $?" | tee -a "$out/sanitizer.txt"
fi
