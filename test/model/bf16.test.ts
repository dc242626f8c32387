// The model at precision bf16 (CPU backend, oneDNN products, bf16 weight copies, bf16 KV cache) against
// (1) Hugging Face's fp32 outputs (../shared/fixtures/hf-parity) at a tolerance derived from the fixtures
// themselves, and (2) the same model on an emulated bf16 backend: ttrl's fp32 kernels with every matrix
// operand and every bf16 buffer rounded in JS (roundBf16, from the format's definition).
//
// Tolerances. (1) The fixtures hold qwen2's outputs for its fp32 weights and (qwen2-bf16) for the same
// weights rounded to bf16: their difference X is what bf16 rounding of one operand of every product does
// to this model. bf16 compute also rounds the other operand (activations), an independent error of the
// same size, so expect about √2·X; the tolerance is 3·X (logits and log-probs), and for gradients 3× the
// fixtures' own gradient difference relative to each tensor's largest |grad|. (2) The emulation rounds
// exactly the same values, so only the fp32 summation order differs (AMX tiles vs OpenBLAS, each product
// within 1e-6) — but such a difference can flip a later bf16 rounding, moving that operand by one bf16 ulp
// (2^-8 relative). Measured: llama and qwen2 logits within 1e-5; qwen2-bf16 1.45e-2 = 1.06 ulp of its
// largest |logit| (3.5). Tolerances: 4 ulps (4·2^-8) of the largest |logit| and of each gradient's largest
// |value|, loss 2^-8 relative.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadModel, type Model, type Batch } from '../../src/model/model.js';
import { greedyGenerate } from '../../src/model/generate.js';
import { Optimizer, DEFAULT_OPTIM } from '../../src/train/optim.js';
import { cpu } from '../../src/tensor/cpu.js';
import type { Backend, Buf } from '../../src/tensor/backend.js';
import { PARITY_DIR, reference, flat, maxDiff, lmBatch, meanNll, reportMaxDiff } from './helpers.js';
import { roundBf16 } from '../tensor/helpers.js';
import { backendAt } from '../../src/tensor/index.js';
import { CudaBackend, cudaAddonPath } from '../../src/tensor/cuda.js';

const bf = cpu('bf16');
const ULP4 = 4 * 2 ** -8;

/** A bf16 backend made of the fp32 kernels: gemm rounds its operands, and buffers allocated as bf16 round
 *  whatever is copied into them (their views too). */
function emulatedBf16(base: Backend): Backend {
  const half = new WeakSet<Buf>();
  const rounded = (b: Buf): Buf => { const r = base.alloc(b.n); base.upload(r, roundBf16(base.read(b))); return r; };
  const over: Partial<Record<keyof Backend, unknown>> = {
    precision: 'bf16',
    alloc: (n: number, dtype?: string): Buf => { const b = base.alloc(n); if (dtype === 'bf16') half.add(b); return b; },
    view: (b: Buf, o: number, n: number): Buf => { const v = base.view(b, o, n); if (half.has(b)) half.add(v); return v; },
    copy: (dst: Buf, src: Buf): void => { base.copy(dst, half.has(dst) ? rounded(src) : src); },
    gemm: (C: Buf, A: Buf, B: Buf, ...rest: [number, number, number, boolean, boolean, number, number]): void =>
      base.gemm(C, rounded(A), rounded(B), ...rest),
  };
  return new Proxy(base, {
    get: (t, k) => (k in over ? over[k as keyof Backend] : typeof t[k as keyof Backend] === 'function'
      ? (t[k as keyof Backend] as (...a: unknown[]) => unknown).bind(t) : t[k as keyof Backend]),
  });
}


/** Per-position log-probs (B,T) → HF's (B,T−1) layout (the last position has no target). */
function shifted(lp: Float32Array, b: Batch): Float32Array {
  const out = new Float32Array(b.B * (b.T - 1));
  for (let r = 0; r < b.B; r++) out.set(lp.subarray(r * b.T, r * b.T + b.T - 1), r * (b.T - 1));
  return out;
}



const absMax = (x: ArrayLike<number>): number => { let m = 0; for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!)); return m; };

/** X of the header: what rounding the weights to bf16 does to HF's fp32 outputs, per output. */
function bf16Effect(): { logits: number; lp: number; grad: (name: string) => number } {
  const a = reference('qwen2'), b = reference('qwen2-bf16');
  return {
    logits: maxDiff(flat(a.logits), flat(b.logits)),
    lp: maxDiff(flat(a.target_logprobs), flat(b.target_logprobs)),
    grad: (name) => maxDiff(flat(a.grads[name]), flat(b.grads[name])) / absMax(flat(a.grads[name])),
  };
}

for (const name of ['llama', 'qwen2', 'qwen2-bf16', 'qwen3']) {
  const dir = path.join(PARITY_DIR, name);
  // The bf16 effect is measured between qwen2 and qwen2-bf16, whose gradients do not cover q_norm / k_norm.
  const noEffect = name === 'qwen3' ? 'qwen3: no bf16 twin fixture to measure its bf16 effect (its emulation test below runs)' : false;

  test(`bf16: ${name}: logits, log-probs, loss and gradients vs HF (fp32) within 3× the fixtures' bf16 effect`, { skip: noEffect }, (t) => {
    const ref = reference(name), X = bf16Effect();
    const model = loadModel(dir, bf);
    const batch = lmBatch(ref.input_ids);
    reportMaxDiff(t, 'logits vs HF', maxDiff(model.forwardLogits(batch), flat(ref.logits)), 3 * X.logits);
    reportMaxDiff(t, 'target log-probs vs HF', maxDiff(shifted(model.forward(batch).logprobs, batch), flat(ref.target_logprobs)), 3 * X.lp);
    meanNll(model, batch);
    let worst = 0;
    for (const [pname, g] of Object.entries(ref.grads as Record<string, unknown>)) {
      const want = flat(g), p = model.params.get(pname) ?? model.head;
      worst = Math.max(worst, maxDiff(bf.read(p.grad!), want) / absMax(want) / X.grad(pname.replace(/^lm_head/, 'model.embed_tokens')));
    }
    reportMaxDiff(t, 'every gradient vs HF, relative to its largest |grad|, in units of the fixtures\' bf16 effect', worst, 3);
  });

  test(`bf16: ${name}: matches an emulated bf16 backend (fp32 kernels + JS rounding): logits, gradients, KV-cache decoding`, (t) => {
    const ref = reference(name);
    const model = loadModel(dir, bf), emu = loadModel(dir, emulatedBf16(cpu('fp32')));
    const batch = lmBatch(ref.input_ids);
    const la = model.forwardLogits(batch), lb = emu.forwardLogits(batch);
    reportMaxDiff(t, 'logits vs emulation', maxDiff(la, lb), ULP4 * absMax(lb));
    const lossA = meanNll(model, batch), lossB = meanNll(emu, batch);
    reportMaxDiff(t, 'loss vs emulation', Math.abs(lossA - lossB), 2 ** -8 * Math.abs(lossB));
    for (const [pname, p] of model.params) {
      const want = emu.be.read(emu.params.get(pname)!.grad!);
      reportMaxDiff(t, `${pname} grad vs emulation`, maxDiff(bf.read(p.grad!), want), Math.max(1e-7, ULP4 * absMax(want)));
    }
    // decoding through the bf16 KV cache: step logits as the emulation's (whose cache rounds the same values)
    const g = ref.generation;
    const ra = greedyGenerate(model, g.prompt, 6, { eosIds: [], keepLogits: true });
    const rb = greedyGenerate(emu, g.prompt, 6, { eosIds: [], keepLogits: true });
    const sa = ra.stepLogits!.flatMap((x) => Array.from(x)), sb = rb.stepLogits!.flatMap((x) => Array.from(x));
    if (ra.tokens[0]!.join() === rb.tokens[0]!.join()) reportMaxDiff(t, 'KV-cache step logits vs emulation', maxDiff(sa, sb), ULP4 * absMax(sb));
    else t.diagnostic('greedy paths diverged on a near-tie (allowed): step logits not compared');
    reportMaxDiff(t, 'first step logits vs HF', maxDiff(ra.stepLogits![0]!, g.step_logits[0].flat()), 3 * bf16Effect().logits);
  });
}

test('bf16: matrices are split, their bf16 halves the rounded masters after a step; a frozen model holds its matrices in bf16 only (the embedding split), same outputs', () => {
  const dir = path.join(PARITY_DIR, 'qwen2');
  const ref = reference('qwen2');
  const model = loadModel(dir, bf), batch = lmBatch(ref.input_ids);
  meanNll(model, batch);
  const opt = new Optimizer(model.params, DEFAULT_OPTIM, bf);
  opt.step(1e-2);
  for (const p of model.params.values()) {
    assert.equal(p.buf.dtype, p.shape.length === 2 ? 'split' : 'f32', p.name);
    if (p.shape.length !== 2) continue;
    const half = bf.alloc(p.buf.n, 'bf16');
    bf.copy(half, p.buf);  // the hi half as it is
    assert.deepEqual(bf.read(half), roundBf16(bf.read(p.buf)), `${p.name}: hi = round(master) after the step`);
  }
  const lpTrained = model.forward(batch).logprobs;
  const frozen = loadModel(dir, bf), live = loadModel(dir, bf);
  frozen.freeze();
  for (const p of frozen.params.values()) {
    assert.equal(p.buf.dtype, p.shape.length !== 2 ? 'f32' : p === frozen.embed ? 'split' : 'bf16', p.name);
  }
  assert.deepEqual(frozen.forward(batch).logprobs, live.forward(batch).logprobs);
  assert.notDeepEqual(lpTrained, live.forward(batch).logprobs, 'the step changed the bf16 model');
});

test('bf16: the CUDA backend (emulated) at bf16 matches the CPU at bf16: logits, greedy decoding through its bf16 KV cache', { skip: cudaAddonPath('emulator') ? false : 'build/Release/ttrl_cuda_emu.node not built' }, (t) => {
  const dir = path.join(PARITY_DIR, 'qwen2'), ref = reference('qwen2');
  const emu = loadModel(dir, backendAt(new CudaBackend({ addon: 'emulator' }), 'bf16')), host = loadModel(dir, bf);
  const batch = lmBatch(ref.input_ids);
  const want = host.forwardLogits(batch);
  reportMaxDiff(t, 'logits vs cpu bf16', maxDiff(emu.forwardLogits(batch), want), ULP4 * absMax(want));
  const g = ref.generation;
  const a = greedyGenerate(emu, g.prompt, 4, { eosIds: [] }), b = greedyGenerate(host, g.prompt, 4, { eosIds: [] });
  assert.deepEqual(a.tokens, b.tokens);
});
