import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadModel, initModel } from '../../src/model/model.js';
import { parseConfig } from '../../src/model/config.js';
import { sft, packBatch, type SftExample } from '../../src/train/sft.js';
import { epochOrder } from '../../src/data/batches.js';
import { Optimizer, DEFAULT_OPTIM, clipGradNorm } from '../../src/train/optim.js';
import { PARITY_DIR } from '../model/helpers.js';
import { repoRoot } from '../shared.js';
import { cpu } from '../../src/tensor/cpu.js';

const tmpdir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-sft-'));
const CLI = path.join(repoRoot, 'bin', 'ttrl.js');

for (const precision of ['fp32', 'bf16'] as const) test(`ttrl sft --optimizer sgd --lr 0.1 --steps 1 --precision ${precision} writes exactly w − 0.1·∇loss`, () => {
  const dir = tmpdir();
  try {
    const seqs = [[3, 17, 42, 5, 9, 11], [7, 8, 9], [100, 4, 4, 4, 2, 60, 61]];
    fs.writeFileSync(path.join(dir, 'd.jsonl'), seqs.map((ids) => JSON.stringify({ ids })).join('\n') + '\n');
    const src = path.join(PARITY_DIR, 'qwen2');
    execFileSync(process.execPath, [CLI, 'sft', '--model', src, '--data', path.join(dir, 'd.jsonl'), '--out', path.join(dir, 'out'),
      '--optimizer', 'sgd', '--lr', '0.1', '--steps', '1', '--batch-size', '3', '--precision', precision], { stdio: 'pipe' });
    // the gradient of the same loss, computed independently of the command
    const ref = loadModel(src, cpu(precision));
    // same batch in the same (seeded) order as the command, so the float sums are identical
    const order = epochOrder(seqs.length, 0, 0);
    const st = ref.forward(packBatch(order.map((i) => ({ ids: seqs[i]!, lossFrom: 1 })), ref.cfg.vocabSize));
    const n = st.rows.length, dlp = new Float32Array(st.logprobs.length);
    for (const r of st.rows) dlp[r] = -1 / n;
    ref.zeroGrad();
    ref.backward(st, dlp);
    const out = loadModel(path.join(dir, 'out'));
    const lr32 = Math.fround(0.1);
    for (const [name, p] of ref.params) {
      const w = ref.be.read(p.buf), g = ref.be.read(p.grad!), got = out.be.read(out.params.get(name)!.buf);
      for (let i = 0; i < w.length; i++) {
        const want = Math.fround(w[i]! - Math.fround(lr32 * g[i]!));
        if (got[i] !== want) assert.fail(`${name}[${i}]: ${got[i]} != ${want} (w ${w[i]}, g ${g[i]})`);
      }
    }
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('a short training run drives the loss down (property: mean of last 5 < 0.5 × first)', () => {
  const cfg = parseConfig({ model_type: 'llama', vocab_size: 16, hidden_size: 32, intermediate_size: 64,
    num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, rope_theta: 10000, rms_norm_eps: 1e-5,
    tie_word_embeddings: false, max_position_embeddings: 64 });
  const model = initModel(cfg, 1);
  // a learnable pattern: counting modulo 16 from a random start
  const data: SftExample[] = Array.from({ length: 32 }, (_, i) => ({ ids: Array.from({ length: 12 }, (_, t) => (i * 5 + t) % 16), lossFrom: 1 }));
  const { losses } = sft(model, data, { optim: DEFAULT_OPTIM, lr: 3e-3, steps: 40, batchSize: 8, seed: 0, gradClip: 1 });
  const last = losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
  assert.ok(last < 0.5 * losses[0]!, `loss ${losses[0]} → ${last}`);
  let rising = 0;
  for (let i = 5; i < losses.length; i += 5) if (losses[i]! > losses[i - 5]!) rising++;
  assert.ok(rising <= 1, `loss rose in ${rising} of the 5-step windows: ${losses.map((x) => x.toFixed(2))}`);
});

test('gradient accumulation over micro-batches equals one big batch', () => {
  const cfg = parseConfig({ model_type: 'qwen2', vocab_size: 20, hidden_size: 16, intermediate_size: 24,
    num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, tie_word_embeddings: true });
  const data: SftExample[] = Array.from({ length: 6 }, (_, i) => ({ ids: Array.from({ length: 3 + i }, (_, t) => (i + 3 * t) % 20), lossFrom: 1 }));
  const run = (micro: number): Float32Array => {
    const m = initModel(cfg, 9);
    sft(m, data, { optim: { ...DEFAULT_OPTIM, kind: 'sgd', weightDecay: 0 }, lr: 0.5, steps: 1, batchSize: 6, microBatch: micro, seed: 0 });
    return m.be.read(m.params.get('model.embed_tokens.weight')!.buf).slice();
  };
  const a = run(6), b = run(2);
  let md = 0;
  for (let i = 0; i < a.length; i++) md = Math.max(md, Math.abs(a[i]! - b[i]!));
  assert.ok(md < 1e-6, `micro-batch vs full batch maxdiff ${md}`);
});

test('AdamW state saves and loads: resumed training is bit-identical to uninterrupted', () => {
  const cfg = parseConfig({ model_type: 'llama', vocab_size: 12, hidden_size: 8, intermediate_size: 12,
    num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 2 });
  const data: SftExample[] = Array.from({ length: 8 }, (_, i) => ({ ids: [i % 12, (i + 1) % 12, (i + 3) % 12, (i + 7) % 12], lossFrom: 1 }));
  const o = { optim: DEFAULT_OPTIM, lr: 1e-2, batchSize: 4, seed: 3, gradClip: 1 };
  const a = initModel(cfg, 2);
  sft(a, data, { ...o, steps: 6 });
  const dir = tmpdir();
  try {
    const b = initModel(cfg, 2);
    const first = sft(b, data, { ...o, steps: 3 });
    b.save(dir); first.optimizer.save(dir);
    const c = loadModel(dir);
    const opt = new Optimizer(c.params, DEFAULT_OPTIM, c.be);
    opt.load(dir);
    assert.equal(opt.t, 3);
    sft(c, data, { ...o, steps: 3, optimizer: opt });
    for (const [name, p] of a.params) {
      assert.deepEqual(c.be.read(c.params.get(name)!.buf), a.be.read(p.buf), `${name} differs after resume`);
    }
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('clipGradNorm: returns the pre-clip norm and scales to maxNorm', () => {
  const cfg = parseConfig({ model_type: 'llama', vocab_size: 8, hidden_size: 4, intermediate_size: 4, num_hidden_layers: 1, num_attention_heads: 1 });
  const m = initModel(cfg, 1);
  let ss = 0;
  for (const p of m.params.values()) {
    const g = m.be.read(m.gradOf(p));
    for (let i = 0; i < g.length; i++) { g[i] = Math.sin(i + p.buf.n); ss += g[i]! * g[i]!; }
  }
  const norm = clipGradNorm(m.params, m.be, 0.5);
  assert.ok(Math.abs(norm - Math.sqrt(ss)) < 1e-4 * norm);
  let after = 0;
  for (const p of m.params.values()) for (const x of m.be.read(p.grad!)) after += x * x;
  assert.ok(Math.abs(Math.sqrt(after) - 0.5) < 1e-4, `norm after clip ${Math.sqrt(after)}`);
});

test('ttrl sft on {"prompt","completion"} lines: chat template, EOS appended, loss on the completion only (exact SGD step)', async () => {
  const { tinyModelDir } = await import('../rl/tiny.js');
  const { loadTokenizer, buildPrompt } = await import('../../src/tokenizer/index.js');
  const dir = await tinyModelDir(3);
  try {
    const recs = [{ prompt: 'Add up: 1 + 2', completion: '1+2=3\nThe answer is \\boxed{3}.' }, { prompt: 'Add up: 4 - 1', completion: '4-1=3' }];
    fs.writeFileSync(path.join(dir, 'pc.jsonl'), recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
    execFileSync(process.execPath, [CLI, 'sft', '--model', dir, '--data', path.join(dir, 'pc.jsonl'), '--out', path.join(dir, 'out'),
      '--optimizer', 'sgd', '--lr', '0.1', '--steps', '1', '--batch-size', '2', '--precision', 'fp32'], { stdio: 'pipe' });
    const tok = await loadTokenizer(dir);
    const exs: SftExample[] = recs.map((r) => {
      const p = buildPrompt(tok, r.prompt, { mode: 'chat' }).ids;
      return { ids: p.concat(tok.encode(r.completion), [tok.eosIds[0]!]), lossFrom: p.length };
    });
    const ref = loadModel(dir);
    const order = epochOrder(exs.length, 0, 0);
    const st = ref.forward(packBatch(order.map((i) => exs[i]!), ref.cfg.vocabSize));
    const nTargets = exs.reduce((a, e) => a + e.ids.length - e.lossFrom, 0);
    assert.equal(st.rows.length, nTargets, 'scored positions = completion tokens + EOS');
    const dlp = new Float32Array(st.logprobs.length);
    for (const r of st.rows) dlp[r] = -1 / nTargets;
    ref.zeroGrad(); ref.backward(st, dlp);
    const out = loadModel(path.join(dir, 'out'));
    for (const [name, p] of ref.params) {
      const w = ref.be.read(p.buf), g = ref.be.read(p.grad!), got = out.be.read(out.params.get(name)!.buf);
      for (let i = 0; i < w.length; i++) {
        const want = Math.fround(w[i]! - Math.fround(Math.fround(0.1) * g[i]!));
        if (got[i] !== want) assert.fail(`${name}[${i}]: ${got[i]} != ${want}`);
      }
    }
    assert.ok(fs.existsSync(path.join(dir, 'out', 'tokenizer.json')), 'tokenizer files travel with the model');
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
