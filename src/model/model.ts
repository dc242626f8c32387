// The Llama / Qwen2 / Qwen3 transformer: forward with padding masks and a KV cache, and an explicit backward pass
// paired with each forward step (llm.c style). All math runs through the Backend interface.
//
// B=batch, T=time, M=B·T rows, C=hidden, H=query heads, G=KV heads, D=head dim, F=MLP hidden, V=vocab,
// S=KV-cache capacity per slot, L=layers.
import type { Backend, Buf } from '../tensor/backend.js';
import { cpu } from '../tensor/cpu.js';
import { readConfig, ropeInvFreq, type ModelConfig } from './config.js';
import { loadParams, saveParams, initParams, matricesAt, type Param } from './params.js';
import type { KVCache } from './kvcache.js';
import type { LoraAdapter } from './lora.js';
import { Rng } from '../util/rng.js';
import { positionsFromMask, type AttnCtx, type Batch, type ForwardOpts, type ForwardState, type LayerActs, type LayerParams } from './types.js';

export { positionsFromMask, type Batch, type ForwardOpts, type ForwardState } from './types.js';

/** Rows of the head computed at once: bounds the (rows, V) logits buffer to ~64 MB. */
const HEAD_CHUNK_FLOATS = 16 * 2 ** 20;

export class Model {
  readonly layers: LayerParams[] = [];
  readonly invFreq: Buf;
  /** Whether backward accumulates parameter gradients (false for a frozen reference model). */
  trainable = true;
  /** A LoRA adapter added to its target Linears (src/model/lora.ts); its tensors train even when the base does not. */
  adapter: LoraAdapter | null = null;
  private arena = new Map<string, Buf>();

  constructor(readonly cfg: ModelConfig, readonly params: Map<string, Param>, readonly be: Backend) {
    const P = (n: string): Param => params.get(n)!;
    const Po = (n: string): Param | null => params.get(n) ?? null;
    for (let l = 0; l < cfg.nLayers; l++) {
      const p = `model.layers.${l}.`;
      this.layers.push({
        inNorm: P(`${p}input_layernorm.weight`),
        q: P(`${p}self_attn.q_proj.weight`), k: P(`${p}self_attn.k_proj.weight`), v: P(`${p}self_attn.v_proj.weight`),
        qb: Po(`${p}self_attn.q_proj.bias`), kb: Po(`${p}self_attn.k_proj.bias`), vb: Po(`${p}self_attn.v_proj.bias`),
        o: P(`${p}self_attn.o_proj.weight`), postNorm: P(`${p}post_attention_layernorm.weight`),
        gate: P(`${p}mlp.gate_proj.weight`), up: P(`${p}mlp.up_proj.weight`), down: P(`${p}mlp.down_proj.weight`),
        qNorm: Po(`${p}self_attn.q_norm.weight`), kNorm: Po(`${p}self_attn.k_norm.weight`),
      });
    }
    this.invFreq = be.fromHost(ropeInvFreq(cfg));
    matricesAt(params, be);
  }

  get embed(): Param { return this.params.get('model.embed_tokens.weight')!; }
  get norm(): Param { return this.params.get('model.norm.weight')!; }
  /** The output head: the embedding when tied (its gradient then accumulates into the embedding's). */
  get head(): Param { return this.params.get('lm_head.weight') ?? this.embed; }

  numParams(): number { let n = 0; for (const p of this.params.values()) n += p.buf.n; return n; }

  // ---- scratch memory ------------------------------------------------------------------------------------
  /** A reusable scratch buffer of at least n floats (contents undefined unless zero is set). */
  private scratch(key: string, n: number, zero = false): Buf {
    let b = this.arena.get(key);
    if (!b || b.n < n) { b = this.be.alloc(n); this.arena.set(key, b); zero = false; }
    const v = b.n === n ? b : this.be.view(b, 0, n);
    if (zero) this.be.fill(v, 0);
    return v;
  }
  /** The same weights and scratch memory without the adapter: LoRA's frozen base, the KL reference, held once.
   *  It shares scratch, so run its forward before the policy's forward whose activations backward needs. */
  baseView(): Model {
    const m = new Model(this.cfg, this.params, this.be);
    m.arena = this.arena;
    m.trainable = false;
    return m;
  }
  /** Release all scratch memory (between rollout and update, say). */
  freeScratch(): void { this.arena.clear(); }

  private acts(tag: string, M: number, B: number, T: number): LayerActs {
    const { hidden: C, nHeads: H, nKvHeads: G, headDim: D, intermediate: F } = this.cfg;
    const s = (n: string, k: number): Buf => this.scratch(`${tag}.${n}`, k);
    return {
      xn: s('xn', M * C), rstd1: s('rstd1', M), q: s('q', M * H * D), k: s('k', M * G * D), v: s('v', M * G * D),
      qk: this.cfg.qkNorm ? { qRaw: s('qraw', M * H * D), kRaw: s('kraw', M * G * D), qRstd: s('qrstd', M * H), kRstd: s('krstd', M * G) } : null,
      att: s('att', M * H * D), lse: s('lse', B * H * T), x2: s('x2', M * C), xn2: s('xn2', M * C), rstd2: s('rstd2', M),
      gate: s('gate', M * F), up: s('up', M * F), act: s('act', M * F),
    };
  }

  // ---- building blocks ---------------------------------------------------------------------------------
  /** y(M,out) = x(M,in)·Wᵀ + b */
  private linear(y: Buf, x: Buf, W: Param, b: Param | null, M: number): void {
    const [out, inp] = W.shape as [number, number];
    this.be.gemm(y, x, W.buf, M, out, inp, false, true, 1, 0);
    if (b) this.be.addBias(y, b.buf, M, out);
    this.adapter?.apply(y, x, W, M, this.scratchFn);
  }
  private readonly scratchFn = (key: string, n: number): Buf => this.scratch(key, n);

  /** dx(M,in) (+)= dy·W ; dW += dyᵀ·x ; db += Σ dy */
  private linearBackward(dx: Buf, dy: Buf, x: Buf, W: Param, b: Param | null, M: number, accumulate: boolean): void {
    const [out, inp] = W.shape as [number, number];
    if (this.trainable) {
      this.be.gemm(this.gradOf(W), dy, x, out, inp, M, true, false, 1, 1);
      if (b) this.be.biasBackward(this.gradOf(b), dy, M, out);
    }
    this.be.gemm(dx, dy, W.buf, M, inp, out, false, false, 1, accumulate ? 1 : 0);
    this.adapter?.backward(dx, dy, x, W, M, this.scratchFn);
  }

  /** Marks the model frozen (a reference model: no parameter gradients). At precision bf16 its matrices are
   *  then held in bf16 only (their split buffers' hi halves, params.ts): half the memory, the same outputs as
   *  the live model at bf16. The embedding table stays split (its lookup feeds the first layer exact fp32
   *  rows, as the live model's does; its hi half is the tied head's operand). */
  freeze(): void {
    this.trainable = false;
    if (this.be.precision !== 'bf16') return;
    for (const p of this.params.values()) {
      if (p.shape.length !== 2 || p === this.embed || p.buf.dtype === 'bf16') continue;
      const half = this.be.alloc(p.buf.n, 'bf16');
      this.be.copy(half, p.buf);
      p.buf = half;
      p.grad = null;
    }
  }

  gradOf(p: Param): Buf { return (p.grad ??= this.be.alloc(p.buf.n)); }
  /** A norm weight's gradient, or a zeroed scratch sink when the base is frozen. */
  private normGrad(p: Param): Buf { return this.trainable ? this.gradOf(p) : this.scratch('dwjunk', p.buf.n, true); }

  zeroGrad(): void { for (const p of this.params.values()) if (p.grad) this.be.fill(p.grad, 0); this.adapter?.zeroGrad(); }

  // ---- one decoder layer ------------------------------------------------------------------------------
  private layerForward(l: number, x: Buf, out: Buf, a: LayerActs, ctx: AttnCtx): void {
    const { be, cfg } = this;
    const P = this.layers[l]!;
    const { hidden: C, nHeads: H, nKvHeads: G, headDim: D } = cfg;
    const M = ctx.B * ctx.T;
    be.rmsnorm(a.xn, a.rstd1, x, P.inNorm.buf, M, C, cfg.rmsEps);
    this.linear(a.qk?.qRaw ?? a.q, a.xn, P.q, P.qb, M);
    this.linear(a.qk?.kRaw ?? a.k, a.xn, P.k, P.kb, M);
    this.linear(a.v, a.xn, P.v, P.vb, M);
    if (a.qk) {  // the existing RMSNorm kernel over (tokens·heads, D) rows
      be.rmsnorm(a.q, a.qk.qRstd, a.qk.qRaw, P.qNorm!.buf, M * H, D, cfg.rmsEps);
      be.rmsnorm(a.k, a.qk.kRstd, a.qk.kRaw, P.kNorm!.buf, M * G, D, cfg.rmsEps);
    }
    be.rope(a.q, ctx.pos, this.invFreq, M, H, D, false);
    be.rope(a.k, ctx.pos, this.invFreq, M, G, D, false);
    let kAll = a.k, vAll = a.v, S = ctx.T;
    if (ctx.cache) {
      ctx.cache.write(l, ctx.slots!, ctx.qStart, a.k, a.v, ctx.T);
      kAll = ctx.cache.k[l]!; vAll = ctx.cache.v[l]!; S = ctx.cache.capacity;
    }
    be.attention(a.att, a.lse, {
      B: ctx.B, T: ctx.T, S, H, G, D, q: a.q, k: kAll, v: vAll, keyMask: ctx.keyMask, qStart: ctx.qStart,
      scale: 1 / Math.sqrt(D), slots: ctx.slots ?? undefined,
    });
    this.linear(a.x2, a.att, P.o, null, M);
    be.add(a.x2, a.x2, x);
    be.rmsnorm(a.xn2, a.rstd2, a.x2, P.postNorm.buf, M, C, cfg.rmsEps);
    this.linear(a.gate, a.xn2, P.gate, null, M);
    this.linear(a.up, a.xn2, P.up, null, M);
    be.siluMul(a.act, a.gate, a.up);
    this.linear(out, a.act, P.down, null, M);
    be.add(out, out, a.x2);
  }

  /** Given dout = dL/d(layer output), writes dx = dL/d(layer input). Training layout only (no cache). */
  private layerBackward(l: number, x: Buf, dout: Buf, dx: Buf, a: LayerActs, ctx: AttnCtx): void {
    const { be, cfg } = this;
    const P = this.layers[l]!;
    const { hidden: C, nHeads: H, nKvHeads: G, headDim: D, intermediate: F } = cfg;
    const M = ctx.B * ctx.T;
    const s = (n: string, k: number, zero = false): Buf => this.scratch(`bwd.${n}`, k, zero);
    // MLP: out = x2 + down(silu(gate)·up)
    const dact = s('dact', M * F), dgate = s('dgate', M * F), dup = s('dup', M * F);
    this.linearBackward(dact, dout, a.act, P.down, null, M, false);
    be.siluMulBackward(dgate, dup, dact, a.gate, a.up);
    const dxn2 = s('dxn', M * C);
    this.linearBackward(dxn2, dgate, a.xn2, P.gate, null, M, false);
    this.linearBackward(dxn2, dup, a.xn2, P.up, null, M, true);
    const dx2 = s('dx2', M * C);
    be.copy(dx2, dout);
    be.rmsnormBackward(dx2, this.normGrad(P.postNorm), dxn2, a.x2, P.postNorm.buf, a.rstd2, M, C);
    // attention: x2 = x + o(att)
    const datt = s('datt', M * H * D);
    this.linearBackward(datt, dx2, a.att, P.o, null, M, false);
    const dq = s('dq', M * H * D, true), dk = s('dk', M * G * D, true), dv = s('dv', M * G * D, true);
    be.attentionBackward(dq, dk, dv, datt, a.att, a.lse, {
      B: ctx.B, T: ctx.T, S: ctx.T, H, G, D, q: a.q, k: a.k, v: a.v, keyMask: ctx.keyMask, qStart: ctx.qStart,
      scale: 1 / Math.sqrt(D),
    });
    be.rope(dq, ctx.pos, this.invFreq, M, H, D, true);
    be.rope(dk, ctx.pos, this.invFreq, M, G, D, true);
    let dqIn = dq, dkIn = dk;
    if (a.qk) {
      dqIn = s('dqraw', M * H * D, true); dkIn = s('dkraw', M * G * D, true);
      be.rmsnormBackward(dqIn, this.normGrad(P.qNorm!), dq, a.qk.qRaw, P.qNorm!.buf, a.qk.qRstd, M * H, D);
      be.rmsnormBackward(dkIn, this.normGrad(P.kNorm!), dk, a.qk.kRaw, P.kNorm!.buf, a.qk.kRstd, M * G, D);
    }
    const dxn = s('dxn', M * C);
    this.linearBackward(dxn, dqIn, a.xn, P.q, P.qb, M, false);
    this.linearBackward(dxn, dkIn, a.xn, P.k, P.kb, M, true);
    this.linearBackward(dxn, dv, a.xn, P.v, P.vb, M, true);
    be.copy(dx, dx2);
    be.rmsnormBackward(dx, this.normGrad(P.inNorm), dxn, x, P.inNorm.buf, a.rstd1, M, C);
  }

  // ---- full passes ---------------------------------------------------------------------------------------
  private trainCtx(batch: Batch): AttnCtx {
    const { B, T } = batch;
    const keyMask = this.scratch('keymask', B * T);
    this.be.upload(keyMask, batch.mask);
    return { B, T, pos: positionsFromMask(batch.mask, B, T), keyMask, qStart: new Int32Array(B), cache: null, slots: null };
  }

  /** Runs the layers, keeping each layer's input in xs.{l} (needed by backward). Returns the final hidden. */
  private runLayers(batch: Batch, ctx: AttnCtx, keepActs: boolean): Buf {
    const M = batch.B * batch.T, C = this.cfg.hidden;
    let x = this.scratch('xs.0', M * C);
    this.be.embedding(x, this.embed.buf, batch.ids, M, C);
    for (let l = 0; l < this.cfg.nLayers; l++) {
      const next = this.scratch(`xs.${l + 1}`, M * C);
      this.layerForward(l, x, next, this.acts(keepActs ? `acts.${l}` : 'acts.tmp', M, batch.B, batch.T), ctx);
      x = next;
    }
    const xf = this.scratch('xf', M * C), rstd = this.scratch('rstdf', M);
    this.be.rmsnorm(xf, rstd, x, this.norm.buf, M, C, this.cfg.rmsEps);
    return xf;
  }

  /** Logits (B,T,V) for every position: for tests, scoring and small models. */
  forwardLogits(batch: Omit<Batch, 'targets'>): Float32Array {
    const full: Batch = { ...batch, targets: new Int32Array(batch.B * batch.T).fill(-1) };
    const ctx = this.trainCtx(full);
    const xf = this.runLayers(full, ctx, false);
    const M = batch.B * batch.T, V = this.cfg.vocabSize;
    const logits = this.be.alloc(M * V);
    this.linear(logits, xf, this.head, null, M);
    return this.be.read(logits).slice();
  }

  /** Final hidden states (B,T,C) after the last norm (HF's last_hidden_state): for embeddings. */
  forwardHidden(batch: Omit<Batch, 'targets'>): Float32Array {
    const full: Batch = { ...batch, targets: new Int32Array(batch.B * batch.T).fill(-1) };
    return this.be.read(this.runLayers(full, this.trainCtx(full), false)).slice();
  }

  /** Forward for training or scoring: per-position target log-probs (and entropies). */
  forward(batch: Batch, opts: ForwardOpts = {}): ForwardState {
    const { B, T, targets } = batch;
    const M = B * T, C = this.cfg.hidden, V = this.cfg.vocabSize;
    const checkpoint = opts.checkpoint ?? false;
    const ctx = this.trainCtx(batch);
    const xf = this.runLayers(batch, ctx, !checkpoint);
    const rowList: number[] = [];
    for (let m = 0; m < M; m++) if (targets[m]! >= 0) rowList.push(m);
    const rows = Int32Array.from(rowList), R = rows.length;
    const xsel = this.scratch('xsel', R * C);
    this.be.embedding(xsel, xf, rows, R, C);
    const lpSel = new Float32Array(R), entSel = opts.entropy ? new Float32Array(R) : null;
    const temperature = opts.temperature ?? 1;
    this.headChunks(R, temperature, (r0, rc, _xs, logits) => {
      const lp = this.scratch('lpc', rc), ent = entSel ? this.scratch('entc', rc) : null;
      const tg = Int32Array.from({ length: rc }, (_, i) => targets[rows[r0 + i]!]!);
      this.be.logSoftmaxGather(lp, ent, logits, tg, rc, V);
      lpSel.set(this.be.read(lp), r0);
      if (ent && entSel) entSel.set(this.be.read(ent), r0);
    }, xsel);
    const logprobs = new Float32Array(M), entropy = entSel ? new Float32Array(M) : null;
    for (let i = 0; i < R; i++) { logprobs[rows[i]!] = lpSel[i]!; if (entropy) entropy[rows[i]!] = entSel![i]!; }
    return { batch, logprobs, entropy, rows, checkpoint, temperature };
  }

  /** Calls fn on chunks of the selected rows with their logits (rc, V) / temperature computed. */
  private headChunks(R: number, temperature: number, fn: (r0: number, rc: number, xs: Buf, logits: Buf) => void, xsel: Buf): void {
    const C = this.cfg.hidden, V = this.cfg.vocabSize;
    const chunk = Math.max(1, Math.min(R, Math.floor(HEAD_CHUNK_FLOATS / V)));
    for (let r0 = 0; r0 < R; r0 += chunk) {
      const rc = Math.min(chunk, R - r0);
      const xs = this.be.view(xsel, r0 * C, rc * C);
      const logits = this.scratch('logits', rc * V);
      this.linear(logits, xs, this.head, null, rc);
      if (temperature !== 1) this.be.scale(logits, 1 / temperature);
      fn(r0, rc, xs, logits);
    }
  }

  /**
   * Backward of a loss built from the forward's per-position log-probs (and entropies):
   * dlogprobs[m] = dLoss/dlogprobs[m], dentropy[m] = dLoss/dentropy[m]. Accumulates into param grads.
   */
  backward(st: ForwardState, dlogprobs: Float32Array, dentropy: Float32Array | null = null): void {
    const { be, cfg } = this;
    const { batch, rows } = st;
    const { B, T } = batch;
    const M = B * T, C = cfg.hidden, V = cfg.vocabSize, R = rows.length, L = cfg.nLayers;
    const ctx = this.trainCtx(batch);
    const xsel = this.scratch('xsel', R * C);
    const dxsel = this.scratch('dxsel', R * C);
    // head: recompute each chunk's logits, turn them into dlogits in place, then the two GEMMs
    this.headChunks(R, st.temperature, (r0, rc, xs, logits) => {
      const tg = Int32Array.from({ length: rc }, (_, i) => batch.targets[rows[r0 + i]!]!);
      const dlp = this.scratch('dlpc', rc), dent = dentropy ? this.scratch('dentc', rc) : null;
      be.upload(dlp, Float32Array.from({ length: rc }, (_, i) => dlogprobs[rows[r0 + i]!]!));
      if (dent) be.upload(dent, Float32Array.from({ length: rc }, (_, i) => dentropy![rows[r0 + i]!]!));
      be.logSoftmaxGatherBackward(logits, logits, tg, dlp, dent, rc, V);
      if (st.temperature !== 1) be.scale(logits, 1 / st.temperature);  // d(logits/T)/dlogits
      const head = this.head;
      if (this.trainable) be.gemm(this.gradOf(head), logits, xs, V, C, rc, true, false, 1, 1);
      be.gemm(be.view(dxsel, r0 * C, rc * C), logits, head.buf, rc, C, V, false, false, 1, 0);
    }, xsel);
    const dxf = this.scratch('dxf', M * C, true);
    be.embeddingBackward(dxf, dxsel, rows, R, C);
    let dx = this.scratch('dx.a', M * C, true), dnext = this.scratch('dx.b', M * C);
    be.rmsnormBackward(dx, this.normGrad(this.norm), dxf,
      this.scratch(`xs.${L}`, M * C), this.norm.buf, this.scratch('rstdf', M), M, C);
    for (let l = L - 1; l >= 0; l--) {
      const x = this.scratch(`xs.${l}`, M * C);
      let a: LayerActs;
      if (st.checkpoint) {
        a = this.acts('acts.tmp', M, B, T);
        this.layerForward(l, x, this.scratch('recompute.out', M * C), a, ctx);
      } else {
        a = this.acts(`acts.${l}`, M, B, T);
      }
      this.layerBackward(l, x, dx, dnext, a, ctx);
      [dx, dnext] = [dnext, dx];
    }
    if (this.trainable) be.embeddingBackward(this.gradOf(this.embed), dx, batch.ids, M, C);
  }

  // ---- incremental decoding ----------------------------------------------------------------------------
  /**
   * Appends T tokens to each row's KV-cache slot and returns the logits (B,V) of each row's last token.
   * ids (B,T); mask (B,T) optional, 0 marks left padding (kept in the cache as masked slots).
   */
  step(cache: KVCache, slots: Int32Array, ids: Int32Array, T: number, mask?: Float32Array): Float32Array {
    return this.be.read(this.stepLogits(cache, slots, ids, T, mask));
  }

  /** step, leaving the (B,V) logits on the backend: a scratch buffer, valid until the next call. */
  stepLogits(cache: KVCache, slots: Int32Array, ids: Int32Array, T: number, mask?: Float32Array): Buf {
    const B = slots.length, M = B * T, C = this.cfg.hidden, V = this.cfg.vocabSize;
    const qStart = new Int32Array(B), pos = new Int32Array(M);
    for (let b = 0; b < B; b++) {
      const s = slots[b]!;
      qStart[b] = cache.len[s]!;
      if (qStart[b]! + T > cache.capacity) throw new RangeError(`KV cache slot ${s} full (${cache.capacity} tokens)`);
      for (let t = 0; t < T; t++) {
        const real = mask ? mask[b * T + t]! : 1;
        pos[b * T + t] = real ? cache.nReal[s]! : 1;  // HF: cumsum(mask) − 1, pads at 1
        cache.setKeyMask(s, qStart[b]! + t, real);
        if (real) cache.nReal[s]! += 1;
      }
    }
    const ctx: AttnCtx = { B, T, pos, keyMask: cache.keyMask, qStart, cache, slots };
    let x = this.scratch('dec.x0', M * C);
    this.be.embedding(x, this.embed.buf, ids, M, C);
    const a = this.acts('dec', M, B, T);
    for (let l = 0; l < this.cfg.nLayers; l++) {
      const next = this.scratch(l % 2 ? 'dec.x0' : 'dec.x1', M * C);
      this.layerForward(l, x, next, a, ctx);
      x = next;
    }
    for (let b = 0; b < B; b++) cache.len[slots[b]!]! += T;
    let xl = x;  // one token per row (decoding): the rows are already the last tokens
    if (T > 1) {
      xl = this.scratch('dec.last', B * C);
      this.be.embedding(xl, x, Int32Array.from({ length: B }, (_, b) => b * T + T - 1), B, C);
    }
    const xf = this.scratch('dec.xf', B * C), rstd = this.scratch('dec.rstd', B);
    this.be.rmsnorm(xf, rstd, xl, this.norm.buf, B, C, this.cfg.rmsEps);
    const logits = this.scratch('dec.logits', B * V);
    this.linear(logits, xf, this.head, null, B);
    return logits;
  }

  save(dir: string): void { saveParams(dir, this.cfg, this.params, this.be); }
}

export function loadModel(dir: string, be: Backend = cpu()): Model {
  const cfg = readConfig(dir);
  return new Model(cfg, loadParams(dir, cfg, be), be);
}

/** A randomly initialised model (HF-style init) from a config. */
export function initModel(cfg: ModelConfig, seed: number, be: Backend = cpu(), std = 0.02): Model {
  const rng = new Rng(seed, 0x1a1a);
  return new Model(cfg, initParams(cfg, be, () => rng.normal(), std), be);
}
