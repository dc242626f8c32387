// Batched sampling of N completions per prompt with a shared prompt prefill and continuous batching.
//
// B = rows of one decode step (≤ maxSlots), V = vocab, S = KV capacity per slot (longest prompt + maxNew).
//
// Slots. The KV cache has maxSlots slots; each running sample owns one. A prompt is prefilled once into a
// "prefix slot" and copied (memcpy of its keys/values, no recompute) into a free slot for each of its
// samples; the last sample of a prompt takes the prefix slot itself, so a prompt with N samples uses N slots,
// not N + 1. Samples are admitted in (request, sample) order; when one finishes, its slot is reset and
// refilled from the queue at once (continuous batching), so a long answer never holds finished slots idle.
// Only the request at the head of the queue can have a prefix slot waiting for free slots, so at most one
// slot is ever held by a prefix alone. With maxSlots = 1 that slot is taken over and the prompt is
// prefilled again for its next sample.
//
// Reproducibility. Sample j of the request with key k draws from its own stream new Rng(seed, k, j), one
// uniform per token, and its first token comes from its prompt's own prefill logits; so a sample does not
// depend on which other samples share its batch, its slot, or its prefill (up to float rounding in the
// batched matmuls, far below the gap between tokens in practice: the tests compare tokens exactly).
import type { Model } from '../model/model.js';
import { KVCache } from '../model/kvcache.js';
import { Rng } from '../util/rng.js';
import { TtrlError } from '../util/errors.js';
import { drawToken, KernelScratch } from './kernel.js';
import { resolveSampling, type SamplingParams } from './params.js';
import { CompletionText, type TokenDecoder } from './text.js';

export interface SampleRequest {
  /** Prompt token ids (non-empty). */
  ids: number[];
  /** Completions to draw for it (0 allowed). */
  n: number;
  /** Names its random streams (default: its index in the request list); keep it stable across batches. */
  key?: number;
}

export type FinishReason = 'eos' | 'stop' | 'length';

export interface Sample {
  /** New token ids, including a final EOS and the token that completed a stop string. */
  ids: number[];
  /**
   * Decoded text (null without a decoder): the final EOS is not decoded; a stop string and what follows it
   * are cut off (vLLM's default, include_stop_str_in_output = false).
   */
  text: string | null;
  /** (ids.length) log softmax(logits / T)[id] over the full vocabulary, before top-k/top-p/min-p (kernel.ts). */
  logprobs: number[];
  /** (ids.length) entropy of softmax(logits / T) at each step, over the full vocabulary (kernel.ts). */
  entropies: number[];
  /** (ids.length) self-certainty KL(U ‖ softmax(logits / T)) at each step (kernel.ts). */
  certainties: number[];
  finishReason: FinishReason;
}

export interface SampleProgress {
  samplesDone: number;
  samplesTotal: number;
  /** Tokens sampled so far, over all samples. */
  newTokens: number;
  /** Prompt positions run through prefill, left padding included. */
  prefillTokens: number;
  /** Time in prefill forwards, in decode forwards, and in host-side sampling (kernel + text), and overall. */
  prefillMs: number;
  decodeMs: number;
  sampleMs: number;
  elapsedMs: number;
}

export interface SampleOptions {
  /** KV-cache slots, i.e. the most sequences decoded at once (default 64). */
  maxSlots?: number;
  /** Run seed (default 0). */
  seed?: number;
  /** Turns ids into text; needed for stop strings. Without it every text is null. */
  decoder?: TokenDecoder | null;
  /** Prefill each prompt once and copy it to its samples (default true); false prefills every sample. */
  sharePrefix?: boolean;
  /** Most padded prompt positions per prefill forward (default 2048; one prompt always fits). */
  prefillChunk?: number;
  /** Called after every decode step and at the end. */
  onProgress?: (p: SampleProgress) => void;
  /** Streams text as it becomes final (needs a decoder); the pieces of a sample concatenate to its text. */
  onText?: (request: number, sample: number, delta: string) => void;
}

interface Seq {
  r: number;
  j: number;
  slot: number;
  rng: Rng;
  ids: number[];
  logprobs: number[];
  entropies: number[];
  certainties: number[];
  text: CompletionText | null;
  /** Characters of text already passed to onText. */
  shown: number;
}

interface Admit { r: number; j: number; slot: number; copyFrom: number }

const now = (): number => performance.now();

/** Draw requests[r].n completions of every prompt; returns samples[r][j] in (request, sample) order. */
export function sampleBatch(model: Model, requests: SampleRequest[], params: Partial<SamplingParams>,
                            opts: SampleOptions = {}): Sample[][] {
  const p = resolveSampling(params);
  checkRequests(requests, model.cfg.vocabSize);
  if (p.stopStrings.length > 0 && !opts.decoder) {
    throw new TtrlError('sampling: stop strings need a decoder (pass a tokenizer, or drop the stop strings)');
  }
  if (opts.maxSlots !== undefined && !(Number.isInteger(opts.maxSlots) && opts.maxSlots >= 1)) {
    throw new TtrlError(`sampling: maxSlots = ${opts.maxSlots} must be an integer >= 1`);
  }
  return new Scheduler(model, requests, p, opts).run();
}

function checkRequests(requests: SampleRequest[], V: number): void {
  requests.forEach((q, r) => {
    if (!(Number.isInteger(q.n) && q.n >= 0)) throw new TtrlError(`sampling: request ${r}: n = ${q.n} must be an integer >= 0`);
    if (q.n > 0 && q.ids.length === 0) throw new TtrlError(`sampling: request ${r}: empty prompt (a prompt needs at least one token)`);
    const bad = q.ids.find((id) => !(Number.isInteger(id) && id >= 0 && id < V));
    if (bad !== undefined) throw new TtrlError(`sampling: request ${r}: token id ${bad} is outside the model's vocabulary [0, ${V})`);
  });
}

class Scheduler {
  private readonly cache: KVCache;
  private readonly free: number[];
  private active: Seq[] = [];
  private readonly results: Sample[][];
  /** The head request's prefilled prompt while some of its samples wait for a slot. */
  private prefix: { r: number; slot: number } | null = null;
  /** (V) logits after each prefilled prompt: the first-token distribution of all its samples. */
  private readonly firstLogits = new Map<number, Float32Array>();
  private nextReq = 0;
  private nextSample = 0;
  private readonly scratch: KernelScratch;
  private readonly eos: Set<number>;
  private readonly share: boolean;
  private readonly prog: SampleProgress;
  private readonly t0 = now();

  constructor(private readonly model: Model, private readonly reqs: SampleRequest[],
              private readonly p: SamplingParams, private readonly opts: SampleOptions) {
    const total = reqs.reduce((a, q) => a + q.n, 0);
    const slots = Math.max(1, Math.min(opts.maxSlots ?? 64, total));
    const longest = Math.max(1, ...reqs.filter((q) => q.n > 0).map((q) => q.ids.length));
    this.cache = new KVCache(model.cfg, model.be, slots, longest + p.maxNewTokens);
    this.free = Array.from({ length: slots }, (_, i) => slots - 1 - i);  // pop() hands out slot 0 first
    this.results = reqs.map((q) => new Array<Sample>(q.n));
    this.scratch = new KernelScratch(model.cfg.vocabSize);
    this.eos = new Set(p.eosIds);
    this.share = opts.sharePrefix ?? true;
    this.prog = { samplesDone: 0, samplesTotal: total, newTokens: 0, prefillTokens: 0, prefillMs: 0, decodeMs: 0, sampleMs: 0, elapsedMs: 0 };
    this.skipEmpty();
  }

  run(): Sample[][] {
    if (this.p.maxNewTokens === 0) {
      this.reqs.forEach((q, r) => { for (let j = 0; j < q.n; j++) this.results[r]![j] = { ids: [], text: this.opts.decoder ? '' : null, logprobs: [], entropies: [], certainties: [], finishReason: 'length' }; });
      this.prog.samplesDone = this.prog.samplesTotal;
    } else {
      for (;;) {
        this.admitAll();
        if (this.active.length === 0) break;
        this.decodeStep();
      }
    }
    this.report();
    return this.results;
  }

  // ---- admission -----------------------------------------------------------------------------------------
  /** Fill free slots from the queue until none is free or the queue is empty (samples may finish at once). */
  private admitAll(): void {
    for (;;) {
      const { admits, prefills } = this.plan();
      if (admits.length === 0 && prefills.length === 0) return;
      this.prefill(prefills);
      for (const a of admits) if (a.copyFrom >= 0) this.cache.copySlot(a.copyFrom, a.slot);
      for (const a of admits) this.start(a);
      for (const r of this.firstLogits.keys()) {
        if (r < this.nextReq && this.prefix?.r !== r) this.firstLogits.delete(r);
      }
    }
  }

  /** Decide which queued samples get which free slots, and which prompts must be prefilled first. */
  private plan(): { admits: Admit[]; prefills: { r: number; slot: number }[] } {
    const admits: Admit[] = [], prefills: { r: number; slot: number }[] = [];
    while (this.free.length > 0 && this.nextReq < this.reqs.length) {
      const r = this.nextReq, j = this.nextSample, left = this.reqs[r]!.n - j;
      if (!this.share || (this.prefix === null && left === 1)) {
        const slot = this.free.pop()!;
        prefills.push({ r, slot });
        admits.push({ r, j, slot, copyFrom: -1 });
        this.advance();
        continue;
      }
      if (this.prefix === null) {
        this.prefix = { r, slot: this.free.pop()! };
        prefills.push(this.prefix);
      }
      const stuck = this.free.length === 0 && this.active.length === 0 && admits.length === 0;
      if (left === 1 || stuck) {
        // the last sample (or, with a single slot, the only one that can run) takes the prefix slot itself
        admits.push({ r, j, slot: this.prefix.slot, copyFrom: -1 });
        this.prefix = null;
        this.advance();
        continue;
      }
      if (this.free.length === 0) break;
      admits.push({ r, j, slot: this.free.pop()!, copyFrom: this.prefix.slot });
      this.advance();
    }
    return { admits, prefills };
  }

  private advance(): void {
    this.nextSample++;
    if (this.nextSample === this.reqs[this.nextReq]!.n) { this.nextReq++; this.nextSample = 0; this.skipEmpty(); }
  }

  private skipEmpty(): void {
    while (this.nextReq < this.reqs.length && this.reqs[this.nextReq]!.n === 0) this.nextReq++;
  }

  /** Prefill prompts into their slots (left-padded batches of ≤ prefillChunk positions); keep last logits. */
  private prefill(jobs: { r: number; slot: number }[]): void {
    const budget = this.opts.prefillChunk ?? 2048, V = this.model.cfg.vocabSize;
    for (let i = 0; i < jobs.length;) {
      let T = this.reqs[jobs[i]!.r]!.ids.length, k = 1;
      while (i + k < jobs.length) {
        const t = Math.max(T, this.reqs[jobs[i + k]!.r]!.ids.length);
        if ((k + 1) * t > budget) break;
        T = t; k++;
      }
      const chunk = jobs.slice(i, i + k), B = chunk.length;
      const ids = new Int32Array(B * T), mask = new Float32Array(B * T);
      let padded = false;
      chunk.forEach(({ r }, b) => {
        const prompt = this.reqs[r]!.ids, off = T - prompt.length;
        padded ||= off > 0;
        for (let t = 0; t < prompt.length; t++) { ids[b * T + off + t] = prompt[t]!; mask[b * T + off + t] = 1; }
      });
      const t0 = now();
      const logits = this.model.step(this.cache, Int32Array.from(chunk, (c) => c.slot), ids, T, padded ? mask : undefined);
      chunk.forEach(({ r }, b) => this.firstLogits.set(r, logits.slice(b * V, (b + 1) * V)));
      this.prog.prefillMs += now() - t0;
      this.prog.prefillTokens += B * T;
      i += k;
    }
  }

  /** A sample enters its slot: its first token comes from its prompt's prefill logits. */
  private start(a: Admit): void {
    const { decoder, onText, seed } = this.opts;
    const text = decoder && (this.p.stopStrings.length > 0 || onText) ? new CompletionText(decoder, this.p.stopStrings) : null;
    const key = this.reqs[a.r]!.key ?? a.r;
    const seq: Seq = { r: a.r, j: a.j, slot: a.slot, rng: new Rng(seed ?? 0, key, a.j), ids: [], logprobs: [], entropies: [], certainties: [], text, shown: 0 };
    if (!this.extend(seq, this.firstLogits.get(a.r)!)) this.active.push(seq);
  }

  // ---- decoding ------------------------------------------------------------------------------------------
  /** One forward over every running sample's last token, then one draw per row. */
  private decodeStep(): void {
    const V = this.model.cfg.vocabSize, rows = this.active;
    const slots = Int32Array.from(rows, (s) => s.slot);
    const ids = Int32Array.from(rows, (s) => s.ids[s.ids.length - 1]!);
    const t0 = now();
    const logits = this.model.step(this.cache, slots, ids, 1);  // (B, V), scratch: read before the next step
    this.prog.decodeMs += now() - t0;
    this.active = rows.filter((s, b) => !this.extend(s, logits.subarray(b * V, (b + 1) * V)));
    this.report();
  }

  /** Draw the next token of seq from its logits row (V); returns true when the sample finished. */
  private extend(seq: Seq, row: Float32Array): boolean {
    const t0 = now();
    const d = drawToken(row, this.p, seq.rng.next(), this.scratch);
    seq.ids.push(d.token);
    seq.logprobs.push(d.logprob);
    seq.entropies.push(d.entropy);
    seq.certainties.push(d.certainty);
    this.prog.newTokens++;
    let done = true;
    if (this.eos.has(d.token)) this.finish(seq, 'eos', -1);
    else {
      const stopAt = seq.text ? seq.text.push(seq.ids) : -1;
      if (stopAt >= 0) this.finish(seq, 'stop', stopAt);
      else if (seq.ids.length >= this.p.maxNewTokens) this.finish(seq, 'length', -1);
      else { done = false; this.stream(seq, seq.text?.safeLength() ?? 0, null); }
    }
    this.prog.sampleMs += now() - t0;
    return done;
  }

  private finish(seq: Seq, reason: FinishReason, stopAt: number): void {
    const dec = this.opts.decoder;
    let text: string | null = null;
    if (dec) {
      if (reason === 'stop') text = seq.text!.text.slice(0, stopAt);
      else text = dec.decode(reason === 'eos' ? seq.ids.slice(0, -1) : seq.ids);
      this.stream(seq, text.length, text);
    }
    this.results[seq.r]![seq.j] = { ids: seq.ids, text, logprobs: seq.logprobs, entropies: seq.entropies, certainties: seq.certainties, finishReason: reason };
    this.cache.reset(seq.slot);
    this.free.push(seq.slot);
    this.prog.samplesDone++;
  }

  /** Pass text up to `upTo` to onText (from the final text when given, else the running text). */
  private stream(seq: Seq, upTo: number, final: string | null): void {
    const src = final ?? seq.text?.text;
    if (!this.opts.onText || src === undefined || upTo <= seq.shown) return;
    this.opts.onText(seq.r, seq.j, src.slice(seq.shown, upTo));
    seq.shown = upTo;
  }

  private report(): void {
    this.prog.elapsedMs = now() - this.t0;
    this.opts.onProgress?.({ ...this.prog });
  }
}
