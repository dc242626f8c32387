// bf16 training on split masters (src/model/params.ts matricesAt, native/split.h) against the path they
// replaced, kept reachable here: the same model with its matrices laid back out as float32 (matricesAt at
// fp32), whose bf16 products round the fp32 masters on the fly to exactly the values the former bf16
// compute copies held, and whose optimizer updates the fp32 masters. Both must give the same weights, bit
// for bit, after AdamW (weight decay, gradient clipping) and SGD steps, on the tiny hf-parity fixtures
// (tied and untied heads, Qwen3's q/k norms), with every third weight made a tie (low half 0x8000, the
// case the tie bit exists for). Then: a bf16 checkpoint reloads bit-identical (at bf16 and at fp32), and a
// resumed bf16 run is bit-identical to an uninterrupted one. The CUDA emulator runs the first check too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadModel, type Model, type Batch } from '../../src/model/model.js';
import { matricesAt } from '../../src/model/params.js';
import { Optimizer, DEFAULT_OPTIM, clipGradNorm, type OptimizerKind } from '../../src/train/optim.js';
import { cpu } from '../../src/tensor/cpu.js';
import type { Backend } from '../../src/tensor/backend.js';
import { backendAt } from '../../src/tensor/index.js';
import { CudaBackend, cudaAddonPath } from '../../src/tensor/cuda.js';
import { PARITY_DIR, reference, lmBatch } from './helpers.js';

const bf = cpu('bf16');
const OPTIM = (kind: OptimizerKind) => ({ ...DEFAULT_OPTIM, kind, weightDecay: 0.1 });
const LR = { adamw: 3e-3, sgd: 0.3 };  // not a power of two: lr·g must round (an FMA would show)

/** Every third weight of every matrix turned into a tie (low 16 bits 0x8000): both layouts get the same. */
function withTies(m: Model): Model {
  for (const p of m.params.values()) {
    if (p.shape.length !== 2) continue;
    const w = m.be.read(p.buf).slice(), u = new Uint32Array(w.buffer);
    for (let i = 0; i < u.length; i += 3) u[i] = ((u[i]! & 0xffff0000) | 0x8000) >>> 0;
    m.be.upload(p.buf, w);
  }
  return m;
}

/** `steps` steps of the mean NLL with clipping at 0.5; returns the gradient norms. */
function train(m: Model, opt: Optimizer, batch: Batch, steps: number): number[] {
  const norms: number[] = [];
  for (let s = 0; s < steps; s++) {
    m.zeroGrad();
    const st = m.forward(batch);
    const dlp = new Float32Array(st.logprobs.length);
    for (const r of st.rows) dlp[r] = -1 / st.rows.length;
    m.backward(st, dlp);
    norms.push(clipGradNorm(m.params, m.be, 0.5));
    opt.step(LR[opt.cfg.kind]);
  }
  return norms;
}

/** All weights as bit patterns, by name. */
const weightBits = (m: Model): Map<string, Uint32Array> =>
  new Map([...m.params].map(([n, p]) => [n, new Uint32Array(m.be.read(p.buf).slice().buffer)]));

function assertSameWeights(a: Model, b: Model, what: string): void {
  const wb = weightBits(b);
  for (const [n, u] of weightBits(a)) {
    const v = wb.get(n)!;
    const i = u.findIndex((x, k) => x !== v[k]);
    if (i >= 0) assert.fail(`${what}: ${n}[${i}] is 0x${u[i]!.toString(16)}, want 0x${v[i]!.toString(16)}`);
  }
}

/** The split model and the former path's twin (matrices float32 at the same bf16 backend) trained alike. */
function splitVsFormer(be: Backend, name: string, kind: OptimizerKind, steps: number): void {
  const dir = path.join(PARITY_DIR, name), batch = lmBatch(reference(name).input_ids);
  const split = withTies(loadModel(dir, be)), former = withTies(loadModel(dir, be));
  matricesAt(former.params, backendAt(be, 'fp32'));
  for (const p of split.params.values()) assert.equal(p.buf.dtype, p.shape.length === 2 ? 'split' : 'f32', p.name);
  for (const p of former.params.values()) assert.equal(p.buf.dtype, 'f32', p.name);
  assertSameWeights(split, former, `${name} before training`);
  const na = train(split, new Optimizer(split.params, OPTIM(kind), be), batch, steps);
  const nb = train(former, new Optimizer(former.params, OPTIM(kind), be), batch, steps);
  assert.deepEqual(na, nb, 'gradient norms');
  assertSameWeights(split, former, `${name} ${kind} after ${steps} steps`);
  assert.deepEqual(split.forward(batch).logprobs, former.forward(batch).logprobs, 'log-probs after training');
}

for (const name of ['qwen2', 'llama', 'qwen3']) {
  for (const kind of ['adamw', 'sgd'] as const) {
    test(`split bf16 (${name}, ${kind}): training is bit-identical to the fp32-master path it replaced`, () => splitVsFormer(bf, name, kind, 3));
  }
}

test('split bf16 (CUDA emulator, qwen2, adamw): bit-identical to its fp32-master path', { skip: cudaAddonPath('emulator') ? false : 'build/Release/ttrl_cuda_emu.node not built' }, () => {
  splitVsFormer(backendAt(new CudaBackend({ addon: 'emulator' }), 'bf16'), 'qwen2', 'adamw', 2);
});

test('split bf16: a checkpoint reloads bit-identical (at bf16 and at fp32); resume is bit-identical', () => {
  const dir = path.join(PARITY_DIR, 'qwen2'), batch = lmBatch(reference('qwen2').input_ids);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-split-'));
  try {
    const a = withTies(loadModel(dir, bf)), optA = new Optimizer(a.params, OPTIM('adamw'), bf);
    train(a, optA, batch, 2);
    a.save(tmp);
    optA.save(tmp);
    const back = loadModel(tmp, bf);
    assertSameWeights(back, a, 'reloaded at bf16');
    assertSameWeights(loadModel(tmp, cpu()), a, 'reloaded at fp32');
    assert.deepEqual(back.forward(batch).logprobs, a.forward(batch).logprobs, 'reloaded log-probs');
    const optB = new Optimizer(back.params, OPTIM('adamw'), bf);
    optB.load(tmp);
    train(a, optA, batch, 2);
    train(back, optB, batch, 2);
    assertSameWeights(back, a, 'resumed vs uninterrupted');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
