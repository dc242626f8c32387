#!/usr/bin/env bash
# Packs what the GPU machine (the `device` tool's H100 / H200) needs to run the CUDA tests and bench/cuda.ts
# into .gpu/bundle.tar.xz: that machine has no Node, no OpenBLAS and no registry access, so the bundle
# carries the node binary, the OpenBLAS the CPU addon links, the compiled JavaScript, both addons (built
# here by nvcc for sm_90), the hf-parity fixtures and bench/cuda-gpu.sh, which runs everything there.
# .gpu/ is added to .git/info/exclude, so the device tool's `carry` can take it (64 MiB limit: ~50 MiB).
#
#   npm ci && bash scripts/build-cuda-bundle.sh      # then see docs/cuda.md for the device command
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
[ -f build/Release/ttrl_cuda.node ] || { echo "build-cuda-bundle: build/Release/ttrl_cuda.node missing: run npm ci (or bash scripts/build-cuda.sh) on a machine with nvcc" >&2; exit 1; }
[ -f build/Release/ttrl_cpu.node ] || { echo "build-cuda-bundle: build/Release/ttrl_cpu.node missing: run npm ci" >&2; exit 1; }
npm run build --silent
shared=${TTRL_SHARED:-$root/../shared}
[ -d "$shared/fixtures/hf-parity" ] || { echo "build-cuda-bundle: $shared/fixtures/hf-parity missing: set TTRL_SHARED" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/lib" "$stage/build/Release" "$stage/shared/fixtures" "$stage/dist"
cp "$(command -v node)" "$stage/node"
# the CPU addon's shared libraries that a bare Ubuntu image lacks
for lib in $(ldd build/Release/ttrl_cpu.node | awk '/=> \// { print $3 }'); do
  case "$(basename "$lib")" in libc.so*|libm.so*|libstdc++.so*|libgcc_s.so*|libdl.so*|libpthread.so*) ;; *) cp -L "$lib" "$stage/lib/" ;; esac
done
cp build/Release/ttrl_cpu.node build/Release/ttrl_cuda.node "$stage/build/Release/"
[ -f build/Release/ttrl_cuda_emu.node ] && cp build/Release/ttrl_cuda_emu.node "$stage/build/Release/"
cp -r dist/src dist/bench "$stage/dist/"
mkdir -p "$stage/dist/test"
cp -r dist/test/tensor dist/test/model dist/test/shared.js "$stage/dist/test/"
cp -r "$shared/fixtures/hf-parity" "$stage/shared/fixtures/"
cp package.json bench/cuda-gpu.sh "$stage/"
git rev-parse HEAD >"$stage/COMMIT" 2>/dev/null || echo unknown >"$stage/COMMIT"

mkdir -p .gpu
exclude=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude")"
grep -qx '/.gpu/' "$exclude" 2>/dev/null || echo '/.gpu/' >>"$exclude"
tar -C "$stage" -cf - . | xz -T2 -6 >.gpu/bundle.tar.xz
echo "build-cuda-bundle: .gpu/bundle.tar.xz $(du -m .gpu/bundle.tar.xz | cut -f1) MiB (commit $(cat "$stage/COMMIT" | cut -c1-10))"
