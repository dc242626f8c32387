// Backend selection (src/tensor/index.ts) and the host side of the CUDA backend that runs without a GPU:
// the --device flag, the one-line error when CUDA cannot run, that the CPU path never maps the CUDA addon,
// and the buffer bookkeeping of CudaBackend (views, bounds, read returning a copy) on the emulated addon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { getBackend, parseDevice, backends, DEVICES, DEVICE_OPTION, DEVICE_HELP } from '../../src/tensor/index.js';
import { cpu } from '../../src/tensor/cpu.js';
import { CudaBackend, cudaAddonPath, cudaUnavailable, checkIds } from '../../src/tensor/cuda.js';
import { TtrlError } from '../../src/util/errors.js';
import { repoRoot } from '../shared.js';
import * as ref from './reference.js';
import { close, randn, f64, dev, host } from './helpers.js';
import { Rng } from '../../src/util/rng.js';

test('parseDevice: cpu and cuda, default cpu, anything else names the flag and the choices', () => {
  assert.deepEqual(DEVICES, ['cpu', 'cuda']);
  assert.equal(parseDevice('cpu'), 'cpu');
  assert.equal(parseDevice('cuda'), 'cuda');
  assert.equal(parseDevice(undefined), 'cpu');
  assert.throws(() => parseDevice('gpu'), (e: Error) => e instanceof TtrlError && e.message === '--device: unknown device "gpu" (use cpu or cuda)');
  assert.throws(() => parseDevice('CUDA', 'train.device'), /^TtrlError: train\.device: unknown device "CUDA"/);
  // the flag as a command declares it
  assert.equal(parseArgs({ args: ['--device', 'cuda'], options: { ...DEVICE_OPTION } }).values.device, 'cuda');
  assert.equal(parseArgs({ args: [], options: { ...DEVICE_OPTION } }).values.device, 'cpu');
  assert.match(DEVICE_HELP, /--device cpu\|cuda/);
});

test('getBackend: cpu is the process-wide CPU backend; cuda works or fails with one line saying why', () => {
  assert.equal(getBackend('cpu'), cpu());
  const why = cudaUnavailable();
  const { available, unavailable } = backends();
  assert.equal(available[0], cpu());
  if (why === null) {
    assert.equal(getBackend('cuda').name, 'cuda');
    assert.ok(available.some((b) => b.name === 'cuda'));
    return;
  }
  assert.deepEqual(unavailable, [{ name: 'cuda', reason: why }]);
  assert.ok(!why.includes('\n'), `reason is one line: ${why}`);
  assert.throws(() => getBackend('cuda'), (e: Error) => e instanceof TtrlError && e.message === `--device cuda: ${why}` && !e.message.includes('\n'));
});

test('the CPU path never loads the CUDA addon (checked in a fresh process through /proc/self/maps)', () => {
  const model = path.join(repoRoot, 'dist/src/model/model.js'), index = path.join(repoRoot, 'dist/src/tensor/index.js');
  const script = `
    const { getBackend } = await import(${JSON.stringify(index)});
    const { initModel } = await import(${JSON.stringify(model)});
    const { parseConfig } = await import(${JSON.stringify(path.join(repoRoot, 'dist/src/model/config.js'))});
    const cfg = parseConfig({ model_type: 'llama', vocab_size: 11, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 1,
      num_attention_heads: 2, num_key_value_heads: 1, rms_norm_eps: 1e-5 });
    const m = initModel(cfg, 1, getBackend('cpu'));
    m.forwardLogits({ B: 1, T: 3, ids: Int32Array.of(1, 2, 3), mask: Float32Array.of(1, 1, 1) });
    const maps = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8');
    console.log(JSON.stringify({ cpu: maps.includes('ttrl_cpu.node'), cuda: maps.includes('ttrl_cuda') }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out.trim()), { cpu: true, cuda: false });
});

test('checkIds: the CPU backend\'s messages; targets may be −1 where allowed', () => {
  assert.throws(() => checkIds('embedding', Int32Array.of(1, 10, 2), 3, 10, false), /^RangeError: embedding: id 10 at row 1 is outside \[0, 10\)$/);
  assert.throws(() => checkIds('embedding', Int32Array.of(1, -1), 2, 10, false), /id -1 at row 1/);
  assert.throws(() => checkIds('x', Int32Array.of(1), 2, 10, false), /^RangeError: x: 1 ids for 2 rows$/);
  checkIds('targets', Int32Array.of(-1, 9, 0), 3, 10, true);
  checkIds('only the first M', Int32Array.of(1, 99), 1, 10, false);
});

const emu = cudaAddonPath('emulator') ? new CudaBackend({ addon: 'emulator' }) : null;

test('CudaBackend buffers (emulated addon): views address the parent, bounds are checked, read copies', { skip: emu ? false : 'build/Release/ttrl_cuda_emu.node not built' }, () => {
  const be = emu!;
  const b = be.fromHost(Float32Array.from({ length: 10 }, (_, i) => i));
  const v = be.view(b, 3, 4);
  assert.deepEqual(Array.from(be.read(v)), [3, 4, 5, 6]);
  be.fill(be.view(v, 1, 2), -1);  // a view of a view
  assert.deepEqual(Array.from(be.read(b)), [0, 1, 2, 3, -1, -1, 6, 7, 8, 9]);
  be.upload(b, Float32Array.of(42, 43), 8);
  be.copy(be.view(b, 0, 2), be.view(b, 8, 2));
  const h = be.read(b);
  assert.deepEqual(Array.from(h), [42, 43, 2, 3, -1, -1, 6, 7, 42, 43]);
  h[0] = 1000;  // a host copy: the device keeps its value
  assert.equal(be.read(b)[0], 42);
  assert.deepEqual(Array.from(be.read(be.alloc(3))), [0, 0, 0], 'alloc is zero-filled');
  assert.throws(() => be.view(b, 8, 3), /RangeError: view \[8, 11\) outside buffer of 10/);
  assert.throws(() => be.view(v, 0, 5), /outside buffer of 4/);
  assert.throws(() => be.upload(v, new Float32Array(3), 2), /RangeError: upload of 3 at 2 outside buffer of 4/);
  assert.throws(() => be.copy(v, b), /RangeError: copy of 10 floats into a buffer of 4/);
  assert.throws(() => be.rope(b, Int32Array.of(0), be.alloc(1), 2, 1, 2, false), /rope positions: 1 entries for 2 rows/);
  // a large upload (over the staging ring's 64 KiB cutoff) takes the direct path
  const big = Float32Array.from({ length: 50000 }, (_, i) => i % 977);
  assert.deepEqual(be.read(be.fromHost(big)), big);
  assert.equal(be.cublas, null);
});

test('CudaBackend staging ring (emulated addon): wraps after 4 MiB of small uploads, grows for a larger int array', { skip: emu ? false : 'build/Release/ttrl_cuda_emu.node not built' }, () => {
  const be = emu!;
  // 20000 uploads of 256-byte ring slots: the ring (4 MiB) wraps, and every value still lands
  const n = 20000, b = be.alloc(n);
  for (let i = 0; i < n; i++) be.upload(b, Float32Array.of(i * 0.5), i);
  const got = be.read(b);
  let bad = -1;
  for (let i = 0; i < n && bad < 0; i++) if (got[i] !== i * 0.5) bad = i;
  assert.equal(bad, -1, `upload ${bad} lost: got ${got[bad]}`);
  // 2^20 + 5 ids (just over 4 MiB of int32): the ring grows, the gather reads every id
  const M = (1 << 20) + 5, table = be.fromHost(Float32Array.of(10, 11, 12));
  const ids = Int32Array.from({ length: M }, (_, i) => i % 3), out = be.alloc(M);
  be.embedding(out, table, ids, M, 1);
  const o = be.read(out);
  let wrong = -1;
  for (let i = 0; i < M && wrong < 0; i++) if (o[i] !== 10 + (i % 3)) wrong = i;
  assert.equal(wrong, -1, `row ${wrong}: got ${o[wrong]}`);
});

const fakeCublas = path.join(repoRoot, 'build/Release/ttrl_fake_cublas.so');
const fakeOk = emu !== null && fs.existsSync(fakeCublas);

test('the cuBLAS call (emulated addon + a column-major reference SGEMM in place of libcublas): row-major results for every transpose', { skip: fakeOk ? false : 'build/Release/ttrl_fake_cublas.so or the emulator not built' }, (t) => {
  const be = new CudaBackend({ addon: 'emulator', cublasPath: fakeCublas, name: 'cuda-emu-cublas' });
  assert.match(be.cublas ?? '', /ttrl_fake_cublas\.so \(version 99999\)/);
  const rng = new Rng(21);
  for (const [M, N, K] of [[5, 7, 3], [1, 9, 4], [6, 1, 5], [4, 4, 0]] as const) for (const ta of [false, true]) for (const tb of [false, true]) {
    for (const [alpha, beta] of [[1, 0], [0.5, -2]] as const) {
      const A = randn(rng, M * K), B = randn(rng, K * N);
      const C0 = beta === 0 ? new Float32Array(M * N).fill(NaN) : randn(rng, M * N);
      const Cd = dev(be, C0);
      be.gemm(Cd, dev(be, A), dev(be, B), M, N, K, ta, tb, alpha, beta);
      const want = f64(C0);
      ref.gemm(want, f64(A), f64(B), M, N, K, ta, tb, alpha, beta);
      close(t, `cublas gemm M=${M} N=${N} K=${K} tA=${ta} tB=${tb} a=${alpha} b=${beta}`, host(be, Cd), want, { atol: 1e-5, rtol: 1e-5 });
    }
  }
});

