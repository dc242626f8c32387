import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { archMetadata, ggufTensors, llama3RopeFactors, mapSource, permuteRopeRows } from '../../src/export/gguf-llama.js';
import { fixture, readReference } from './fixtures.js';

// D = head dim, H = heads, C = input columns.

/** HF RoPE: dimension j rotates with j + D/2 ("rotate half"). */
function ropeRotateHalf(x: Float32Array, pos: number, invFreq: number[]): Float32Array {
  const d = x.length, half = d / 2, out = new Float32Array(d);
  for (let j = 0; j < half; j++) {
    const c = Math.cos(pos * invFreq[j]!), s = Math.sin(pos * invFreq[j]!);
    out[j] = x[j]! * c - x[j + half]! * s;
    out[j + half] = x[j + half]! * c + x[j]! * s;
  }
  return out;
}

/** llama.cpp's LLAMA_ROPE_TYPE_NORM: pairs (2j, 2j+1) rotate together. */
function ropeAdjacent(x: Float32Array, pos: number, invFreq: number[]): Float32Array {
  const d = x.length, out = new Float32Array(d);
  for (let j = 0; j < d / 2; j++) {
    const c = Math.cos(pos * invFreq[j]!), s = Math.sin(pos * invFreq[j]!);
    out[2 * j] = x[2 * j]! * c - x[2 * j + 1]! * s;
    out[2 * j + 1] = x[2 * j + 1]! * c + x[2 * j]! * s;
  }
  return out;
}

function matvec(w: Float32Array, x: Float32Array, rows: number): Float32Array {
  const cols = x.length, y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) { let s = 0; for (let c = 0; c < cols; c++) s += w[r * cols + c]! * x[c]!; y[r] = s; }
  return y;
}

test('permuteRopeRows: adjacent-pair RoPE on the permuted projection gives the same attention scores as HF rotate-half RoPE', () => {
  const H = 3, D = 8, C = 5, rng = new Rng(11);
  const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());
  const wq = rand(H * D * C), wk = rand(H * D * C), x1 = rand(C), x2 = rand(C);
  const invFreq = Array.from({ length: D / 2 }, (_, j) => 10000 ** (-2 * j / D));
  const wq2 = permuteRopeRows(wq, H, C), wk2 = permuteRopeRows(wk, H, C);
  let maxdiff = 0;
  for (const [pq, pk] of [[0, 0], [5, 2], [17, 9]] as const) {
    const q = matvec(wq, x1, H * D), k = matvec(wk, x2, H * D), q2 = matvec(wq2, x1, H * D), k2 = matvec(wk2, x2, H * D);
    for (let h = 0; h < H; h++) {
      const sl = (v: Float32Array): Float32Array => v.slice(h * D, (h + 1) * D);
      const a = ropeRotateHalf(sl(q), pq, invFreq), b = ropeRotateHalf(sl(k), pk, invFreq);
      const a2 = ropeAdjacent(sl(q2), pq, invFreq), b2 = ropeAdjacent(sl(k2), pk, invFreq);
      let s = 0, s2 = 0;
      for (let j = 0; j < D; j++) { s += a[j]! * b[j]!; s2 += a2[j]! * b2[j]!; }
      maxdiff = Math.max(maxdiff, Math.abs(s - s2));
    }
  }
  assert.ok(maxdiff < 1e-4, `maxdiff ${maxdiff}`);
});

test('permuteRopeRows: hand-checked order for one head of 4 rows', () => {
  // rows r0..r3 (1 column): rotate-half pairs (r0,r2), (r1,r3) become adjacent: r0, r2, r1, r3
  assert.deepEqual(Array.from(permuteRopeRows(new Float32Array([0, 1, 2, 3]), 1, 1)), [0, 2, 1, 3]);
  assert.deepEqual(Array.from(permuteRopeRows(new Float32Array([0, 1, 2, 3, 10, 11, 12, 13]), 2, 1)), [0, 2, 1, 3, 10, 12, 11, 13]);
});

test('llama3RopeFactors: default inv_freq / factor equals transformers\' llama3 inv_freq (fixture rope table)', () => {
  const { cfg } = fixture('llama3');
  const rope = (readReference('llama3') as unknown as { rope: { inv_freq: number[]; inv_freq_default: number[] } }).rope;
  const f = llama3RopeFactors(cfg);
  assert.equal(f.length, 8);
  let maxrel = 0;
  for (let i = 0; i < 8; i++) maxrel = Math.max(maxrel, Math.abs(rope.inv_freq_default[i]! / f[i]! / rope.inv_freq[i]! - 1));
  assert.ok(maxrel < 1e-6, `max relative diff ${maxrel}`);
  assert.equal(f[0], 1);
  assert.equal(f[7], 8);
});

test('ggufTensors: llama names, shapes (ne reversed by the writer), permuted q/k, untied output', () => {
  const { cfg, weights: w } = fixture('llama');
  const ts = ggufTensors(cfg, mapSource(w), 'f16');
  const by = new Map(ts.map((t) => [t.name, t]));
  assert.equal(ts.length, 1 + 2 * 9 + 2);
  assert.deepEqual(by.get('token_embd.weight')!.shape, [128, 64]);
  assert.deepEqual(by.get('blk.1.attn_k.weight')!.shape, [32, 64]);
  assert.deepEqual(by.get('blk.0.ffn_down.weight')!.shape, [64, 176]);
  assert.equal(by.get('blk.0.attn_norm.weight')!.dtype, 'f32');
  assert.equal(by.get('blk.0.ffn_up.weight')!.dtype, 'f16');
  assert.ok(by.has('output.weight') && !by.has('rope_freqs.weight'));
  // k_proj row 2j+s of head g comes from HF row s*8+j (D=16): check one row by value.
  const k = [...by.get('blk.0.attn_k.weight')!.chunks()][0]!;
  const hf = w.get('model.layers.0.self_attn.k_proj.weight')!.data;
  const row = (a: Float32Array, r: number): number[] => Array.from(a.subarray(r * 64, r * 64 + 64));
  assert.deepEqual(row(k, 16 + 2 * 3 + 1), row(hf, 16 + 8 + 3));
  // v_proj is not permuted
  assert.deepEqual([...by.get('blk.0.attn_v.weight')!.chunks()][0], w.get('model.layers.0.self_attn.v_proj.weight')!.data);
});

test('ggufTensors: qwen2 keeps q/k unpermuted, has biases, and a tied head writes no output.weight; llama3 adds rope_freqs', () => {
  const { cfg, weights: w } = fixture('qwen2');
  const by = new Map(ggufTensors(cfg, mapSource(w), 'f32').map((t) => [t.name, t]));
  assert.ok(!by.has('output.weight'));
  assert.deepEqual(by.get('blk.0.attn_q.bias')!.shape, [64]);
  assert.deepEqual([...by.get('blk.1.attn_q.weight')!.chunks()][0], w.get('model.layers.1.self_attn.q_proj.weight')!.data);
  const l3 = ggufTensors(fixture('llama3').cfg, mapSource(fixture('llama3').weights), 'f32');
  assert.equal(l3[0]!.name, 'rope_freqs.weight');
  assert.deepEqual(l3[0]!.shape, [8]);
});

test('ggufTensors: a missing, extra or misshapen tensor is an error naming it', () => {
  const { cfg, weights: w } = fixture('llama');
  const without = new Map(w); without.delete('model.layers.1.mlp.up_proj.weight');
  assert.throws(() => ggufTensors(cfg, mapSource(without), 'f32'), /lacks model\.layers\.1\.mlp\.up_proj\.weight/);
  const extra = new Map(w); extra.set('model.layers.0.self_attn.q_norm.weight', { shape: [16], data: new Float32Array(16) });
  assert.throws(() => ggufTensors(cfg, mapSource(extra), 'f32'), /does not use: model\.layers\.0\.self_attn\.q_norm\.weight/);
  const bad = new Map(w); bad.set('model.norm.weight', { shape: [63], data: new Float32Array(63) });
  assert.throws(() => ggufTensors(cfg, mapSource(bad), 'f32'), /model\.norm\.weight has shape \[63\], config\.json implies \[64\]/);
  const old = new Map(w); old.set('model.layers.0.self_attn.rotary_emb.inv_freq', { shape: [8], data: new Float32Array(8) });
  assert.doesNotThrow(() => ggufTensors(cfg, mapSource(old), 'f32'));
});

test('archMetadata: the keys llama.cpp reads, from config.json', () => {
  const md = new Map(archMetadata(fixture('qwen2').cfg, 'f16', 'x'));
  assert.deepEqual(md.get('general.architecture'), { type: 'string', value: 'qwen2' });
  assert.deepEqual(md.get('general.file_type'), { type: 'u32', value: 1 });
  assert.deepEqual(md.get('qwen2.attention.head_count_kv'), { type: 'u32', value: 2 });
  assert.deepEqual(md.get('qwen2.rope.freq_base'), { type: 'f32', value: 1e6 });
  assert.deepEqual(md.get('qwen2.attention.layer_norm_rms_epsilon'), { type: 'f32', value: 1e-6 });
  assert.deepEqual(md.get('qwen2.context_length'), { type: 'u32', value: 256 });
});
