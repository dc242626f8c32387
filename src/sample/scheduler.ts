// The continuous-batching scheduler behind both offline sampling (sampleBatch) and the server (src/serve):
// jobs (a prompt, n samples, their own sampling settings and seed) are queued at any time, and each step()
// admits queued samples into free KV slots, then runs one decode step over every running sample.
//
// V = vocab, S = KV capacity per slot (the longest prompt + its max new tokens must fit).
//
// Slots. The KV cache has a fixed number of slots; each running sample owns one. A prompt is prefilled once
// into a "prefix slot" and copied (memcpy of its keys/values, no recompute) into a free slot for each of its
// samples; the last sample of a prompt takes the prefix slot itself, so a prompt with N samples uses N slots,
// not N + 1. Samples are admitted in (job, sample) order; when one finishes, its slot is reset and refilled
// from the queue at once, so a long answer never holds finished slots idle. Only the job at the head of the
// queue can have a prefix slot waiting for free slots, so at most one slot is ever held by a prefix alone.
// With a single slot that slot is taken over and the prompt is prefilled again for its next sample.
//
// Reproducibility. Sample j of a job draws from its own stream new Rng(seed, key, first + j), one uniform per
// token, and its first token comes from its prompt's own prefill logits; so a sample does not depend on which
// other samples share its batch, its slot, or its prefill (up to float rounding in the batched matmuls, far
// below the gap between tokens in practice: the tests compare tokens exactly).
// Per step, the logits stay on the backend, which draws all rows sharing settings in one call
// (Backend.sampleRows); the host sees only B token ids and log-probs, in arrays allocated once.
//
// Holding. With `hold` set, no new job starts (jobs already started finish their samples); once busy() is
// false the model can be swapped (setModel) with no sample ever mixing two sets of weights.
import type { Model } from '../model/model.js';
import { KVCache } from '../model/kvcache.js';
import type { Buf, Draws, Ints } from '../tensor/backend.js';
import { Rng } from '../util/rng.js';
import { TtrlError } from '../util/errors.js';
import { topLogprobs, type TopLogprob } from './kernel.js';
import type { SamplingParams } from './params.js';
import { CompletionText, type TokenDecoder } from './text.js';

export type { FinishReason, Sample, SampleProgress, Job, SchedulerOptions } from './jobs.js';
import type { FinishReason, Sample, SampleProgress, Job, SchedulerOptions } from './jobs.js';

interface Queued { job: Job; eos: Set<number>; cancelled: boolean }

interface Seq {
  q: Queued;
  j: number;
  slot: number;
  rng: Rng;
  ids: number[];
  logprobs: number[];
  entropies: number[];
  certainties: number[];
  top: TopLogprob[][] | null;
  text: CompletionText | null;
  /** Characters of text already passed to onText. */
  shown: number;
}

interface Admit { q: Queued; j: number; slot: number; copyFrom: number }
interface Prefill { q: Queued; slot: number }

const now = (): number => performance.now();

/** A handle to a queued job: cancel() drops its unstarted samples and stops its running ones at the next step. */
export interface JobHandle { cancel(): void }

export class Scheduler {
  /** When set, no new job starts; started jobs run to the end. */
  hold = false;
  private readonly cache: KVCache;
  private readonly free: number[];
  private active: Seq[] = [];
  private readonly queue: Queued[] = [];
  /** Samples of the head job already admitted. */
  private nextSample = 0;
  /** The head job's prefilled prompt while some of its samples wait for a slot. */
  private prefix: Prefill | null = null;
  /** (V) logits after each prefilled prompt, on the backend: the first-token distribution of its samples. */
  private readonly firstLogits = new Map<Queued, Buf>();
  /** Per-step inputs and outputs, one entry per slot: slots, last ids, logits rows, uniforms, draws. */
  private readonly stepSlots: Int32Array;
  private readonly stepIds: Int32Array;
  private readonly rows: Int32Array;
  private readonly u: Float64Array;
  private readonly draws: Draws;
  private readonly share: boolean;
  private readonly prog: SampleProgress;
  private readonly t0 = now();

  constructor(private model: Model, private readonly opts: SchedulerOptions) {
    if (!(Number.isInteger(opts.slots) && opts.slots >= 1)) throw new TtrlError(`sampling: slots = ${opts.slots} must be an integer >= 1`);
    this.cache = new KVCache(model.cfg, model.be, opts.slots, opts.capacity);
    this.free = Array.from({ length: opts.slots }, (_, i) => opts.slots - 1 - i);  // pop() hands out slot 0 first
    const n = opts.slots;
    [this.stepSlots, this.stepIds, this.rows, this.u] = [new Int32Array(n), new Int32Array(n), new Int32Array(n), new Float64Array(n)];
    this.draws = { tokens: new Int32Array(n), logprobs: new Float64Array(n), entropies: new Float64Array(n), certainties: new Float64Array(n) };
    this.share = opts.sharePrefix ?? true;
    this.prog = { samplesDone: 0, samplesTotal: 0, newTokens: 0, prefillTokens: 0, prefillMs: 0, decodeMs: 0, sampleMs: 0, elapsedMs: 0 };
  }

  get capacity(): number { return this.cache.capacity; }
  get slots(): number { return this.cache.slots; }
  /** Samples running now. */
  get running(): number { return this.active.length; }
  /** Jobs not fully admitted yet. */
  get queued(): number { return this.queue.length; }

  /** Queue a job. Throws a TtrlError (nothing queued) for bad token ids or a prompt that cannot fit. */
  submit(job: Job, where = 'sampling'): JobHandle {
    const V = this.model.cfg.vocabSize;
    if (!(Number.isInteger(job.n) && job.n >= 0)) throw new TtrlError(`${where}: n = ${job.n} must be an integer >= 0`);
    if (job.n > 0 && job.ids.length === 0) throw new TtrlError(`${where}: empty prompt (a prompt needs at least one token)`);
    const bad = job.ids.find((id) => !(Number.isInteger(id) && id >= 0 && id < V));
    if (bad !== undefined) throw new TtrlError(`${where}: token id ${bad} is outside the model's vocabulary [0, ${V})`);
    if (job.params.stopStrings.length > 0 && !job.decoder) {
      throw new TtrlError(`${where}: stop strings need a decoder (pass a tokenizer, or drop the stop strings)`);
    }
    const q: Queued = { job, eos: new Set(job.params.eosIds), cancelled: false };
    this.prog.samplesTotal += job.n;
    if (job.n > 0 && job.params.maxNewTokens === 0) {
      for (let j = 0; j < job.n; j++) this.done(q, j, { ids: [], text: job.decoder ? '' : null, logprobs: [], entropies: [], certainties: [], finishReason: 'length' });
    } else if (job.n > 0) {
      const need = job.ids.length + job.params.maxNewTokens;
      if (need > this.cache.capacity) {
        this.prog.samplesTotal -= job.n;
        throw new TtrlError(`${where}: prompt (${job.ids.length} tokens) + max new tokens (${job.params.maxNewTokens}) = ${need} exceeds the context limit of ${this.cache.capacity}`);
      }
      this.queue.push(q);
    }
    return { cancel: () => { q.cancelled = true; } };
  }

  /** Whether any sample is running or a started job still has samples to admit. */
  busy(): boolean { return this.active.length > 0 || this.prefix !== null || this.nextSample > 0; }
  /** Whether there is nothing to do at all. */
  idle(): boolean { return this.active.length === 0 && this.queue.length === 0; }

  /** Replace the weights; only while nothing is in flight (hold, then wait for !busy()). Same shape required. */
  setModel(model: Model): void {
    if (this.busy()) throw new Error('setModel while samples are in flight');
    const a = this.model.cfg, b = model.cfg;
    const same = a.vocabSize === b.vocabSize && a.nLayers === b.nLayers && a.nKvHeads === b.nKvHeads && a.headDim === b.headDim;
    if (!same) throw new TtrlError('new weights have a different shape (vocab, layers, KV heads or head size) than the served model');
    this.model = model;
  }

  /** Admit what fits, then one decode step. */
  step(): void {
    this.dropCancelled();
    this.admitAll();
    if (this.active.length > 0) this.decodeStep();
  }

  progress(): SampleProgress { this.prog.elapsedMs = now() - this.t0; return { ...this.prog }; }

  // ---- admission -----------------------------------------------------------------------------------------
  /** Fill free slots from the queue until none is free or the queue is empty (samples may finish at once). */
  private admitAll(): void {
    for (;;) {
      const { admits, prefills } = this.plan();
      if (admits.length === 0 && prefills.length === 0) return;
      this.prefill(prefills);
      for (const a of admits) if (a.copyFrom >= 0) this.cache.copySlot(a.copyFrom, a.slot);
      this.startAll(admits);
      for (const q of this.firstLogits.keys()) if (this.prefix?.q !== q) this.firstLogits.delete(q);
    }
  }

  /** Decide which queued samples get which free slots, and which prompts must be prefilled first. */
  private plan(): { admits: Admit[]; prefills: Prefill[] } {
    const admits: Admit[] = [], prefills: Prefill[] = [];
    // with no slot free, the head job's last sample can still start: it takes the prefix slot itself
    while (this.queue.length > 0 && (this.free.length > 0 || this.lastTakesPrefix())) {
      const q = this.queue[0]!, j = this.nextSample, left = q.job.n - j;
      if (q.cancelled) { this.dropHead(); continue; }
      if (this.hold && j === 0) break;
      if (!this.share || (this.prefix === null && left === 1)) {
        const slot = this.free.pop()!;
        prefills.push({ q, slot });
        admits.push({ q, j, slot, copyFrom: -1 });
        this.advance();
        continue;
      }
      if (this.prefix === null) {
        this.prefix = { q, slot: this.free.pop()! };
        prefills.push(this.prefix);
      }
      const stuck = this.free.length === 0 && this.active.length === 0 && admits.length === 0;
      if (left === 1 || stuck) {
        // the last sample (or, with a single slot, the only one that can run) takes the prefix slot itself
        admits.push({ q, j, slot: this.prefix.slot, copyFrom: -1 });
        this.prefix = null;
        this.advance();
        continue;
      }
      if (this.free.length === 0) break;
      admits.push({ q, j, slot: this.free.pop()!, copyFrom: this.prefix.slot });
      this.advance();
    }
    return { admits, prefills };
  }

  private lastTakesPrefix(): boolean {
    return this.prefix !== null && this.prefix.q === this.queue[0] && this.queue[0]!.job.n - this.nextSample === 1;
  }

  private advance(): void {
    this.nextSample++;
    if (this.nextSample === this.queue[0]!.job.n) { this.queue.shift(); this.nextSample = 0; }
  }

  /** The head job was cancelled: release its waiting prefix and forget its unstarted samples. */
  private dropHead(): void {
    const q = this.queue.shift()!;
    if (this.prefix?.q === q) { this.release(this.prefix.slot); this.prefix = null; }
    this.firstLogits.delete(q);
    this.prog.samplesTotal -= q.job.n - this.nextSample;
    this.nextSample = 0;
  }

  private dropCancelled(): void {
    if (!this.active.some((s) => s.q.cancelled)) return;
    this.active = this.active.filter((s) => {
      if (!s.q.cancelled) return true;
      this.release(s.slot);
      this.prog.samplesTotal--;
      return false;
    });
  }

  private release(slot: number): void { this.cache.reset(slot); this.free.push(slot); }

  /** Prefill prompts into their slots (left-padded batches of ≤ prefillChunk positions); keep last logits. */
  private prefill(jobs: Prefill[]): void {
    const budget = this.opts.prefillChunk ?? 2048, V = this.model.cfg.vocabSize;
    for (let i = 0; i < jobs.length;) {
      let T = jobs[i]!.q.job.ids.length, k = 1;
      while (i + k < jobs.length) {
        const t = Math.max(T, jobs[i + k]!.q.job.ids.length);
        if ((k + 1) * t > budget) break;
        T = t; k++;
      }
      const chunk = jobs.slice(i, i + k), B = chunk.length;
      const ids = new Int32Array(B * T), mask = new Float32Array(B * T);
      let padded = false;
      chunk.forEach(({ q }, b) => {
        const prompt = q.job.ids, off = T - prompt.length;
        padded ||= off > 0;
        for (let t = 0; t < prompt.length; t++) { ids[b * T + off + t] = prompt[t]!; mask[b * T + off + t] = 1; }
      });
      const t0 = now();
      const be = this.model.be;
      const logits = this.model.stepLogits(this.cache, Int32Array.from(chunk, (c) => c.slot), ids, T, padded ? mask : undefined);
      chunk.forEach(({ q }, b) => { const first = be.alloc(V); be.copy(first, be.view(logits, b * V, V)); this.firstLogits.set(q, first); });
      this.prog.prefillMs += now() - t0;
      this.prog.prefillTokens += B * T;
      i += k;
    }
  }

  /** Samples enter their slots; each draws its first token from its prompt's prefill logits (one call per job). */
  private startAll(admits: Admit[]): void {
    for (let i = 0; i < admits.length;) {
      const q = admits[i]!.q, { decoder, onText, params, seed, key, topLogprobs: k } = q.job, first = q.job.first ?? 0;
      const seqs: Seq[] = [];
      for (; i < admits.length && admits[i]!.q === q; i++) {
        const text = decoder && (params.stopStrings.length > 0 || onText) ? new CompletionText(decoder, params.stopStrings) : null;
        seqs.push({ q, j: admits[i]!.j, slot: admits[i]!.slot, rng: new Rng(seed, key, first + admits[i]!.j), ids: [], logprobs: [], entropies: [], certainties: [], top: k ? [] : null, text, shown: 0 });
      }
      const t0 = now();
      this.rows.fill(0, 0, seqs.length);
      this.draw(this.firstLogits.get(q)!, seqs, 0, seqs.length, this.rows);
      this.prog.sampleMs += now() - t0;
    }
  }

  // ---- decoding ------------------------------------------------------------------------------------------
  /** One forward over every running sample's last token, then the draws. */
  private decodeStep(): void {
    const rows = this.active, B = rows.length;
    for (let b = 0; b < B; b++) { this.stepSlots[b] = rows[b]!.slot; this.stepIds[b] = rows[b]!.ids[rows[b]!.ids.length - 1]!; }
    const t0 = now();
    const logits = this.model.stepLogits(this.cache, this.stepSlots.subarray(0, B), this.stepIds.subarray(0, B), 1);
    const t1 = now();
    this.prog.decodeMs += t1 - t0;
    this.active = [];
    // rows of one job share its settings; offline every job shares one settings object, so one call
    for (let b0 = 0, b1 = 1; b0 < B; b0 = b1, b1 = b0 + 1) {
      while (b1 < B && rows[b1]!.q.job.params === rows[b0]!.q.job.params) b1++;
      for (let b = b0; b < b1; b++) this.rows[b - b0] = b;
      this.draw(logits, rows, b0, b1, this.rows);
    }
    this.prog.sampleMs += now() - t1;
    this.opts.onProgress?.(this.progress());
  }

  /** Draw the next token of seqs[b0..b1) (seqs[b] from logits row rows[b − b0]), all with seqs[b0]'s settings,
   *  and extend them; the ones still running join the active list. */
  private draw(logits: Buf, seqs: Seq[], b0: number, b1: number, rows: Ints): void {
    const n = b1 - b0, p = seqs[b0]!.q.job.params, V = this.model.cfg.vocabSize, be = this.model.be;
    for (let b = 0; b < n; b++) this.u[b] = seqs[b0 + b]!.rng.next();
    be.sampleRows(logits, V, n, rows.subarray(0, n), p, this.u, this.draws);
    let host: Float32Array | null = null;  // the logits on the host, only for top log-probs
    for (let b = 0; b < n; b++) {
      const seq = seqs[b0 + b]!;
      if (seq.top) seq.top.push(topLogprobs((host ??= be.read(logits)).subarray(rows[b]! * V, (rows[b]! + 1) * V), p.temperature, seq.q.job.topLogprobs!));
      seq.entropies.push(this.draws.entropies![b]!);
      seq.certainties.push(this.draws.certainties![b]!);
      if (!this.extend(seq, this.draws.tokens[b]!, this.draws.logprobs[b]!)) this.active.push(seq);
    }
  }

  /** Append a drawn token to seq; returns true when the sample finished. */
  private extend(seq: Seq, token: number, logprob: number): boolean {
    seq.ids.push(token);
    seq.logprobs.push(logprob);
    this.prog.newTokens++;
    if (seq.q.eos.has(token)) { this.finish(seq, 'eos', -1); return true; }
    const stopAt = seq.text ? seq.text.push(seq.ids) : -1;
    if (stopAt >= 0) { this.finish(seq, 'stop', stopAt); return true; }
    if (seq.ids.length >= seq.q.job.params.maxNewTokens) { this.finish(seq, 'length', -1); return true; }
    this.stream(seq, seq.text?.safeLength() ?? 0, null);
    return false;
  }

  private finish(seq: Seq, reason: FinishReason, stopAt: number): void {
    const dec = seq.q.job.decoder;
    let text: string | null = null;
    if (dec) {
      if (reason === 'stop') text = seq.text!.text.slice(0, stopAt);
      else text = dec.decode(reason === 'eos' ? seq.ids.slice(0, -1) : seq.ids);
      this.stream(seq, text.length, text);
    }
    this.release(seq.slot);
    const s: Sample = { ids: seq.ids, text, logprobs: seq.logprobs, entropies: seq.entropies, certainties: seq.certainties, finishReason: reason };
    if (seq.top) s.top = seq.top;
    this.done(seq.q, seq.j, s);
  }

  private done(q: Queued, j: number, s: Sample): void {
    this.prog.samplesDone++;
    if (!q.cancelled) q.job.onSample(j, s);
  }

  /** Pass text up to `upTo` to onText (from the final text when given, else the running text). */
  private stream(seq: Seq, upTo: number, final: string | null): void {
    const src = final ?? seq.text?.text;
    const onText = seq.q.job.onText;
    if (!onText || src === undefined || upTo <= seq.shown || seq.q.cancelled) return;
    onText(seq.j, src.slice(seq.shown, upTo));
    seq.shown = upTo;
  }
}
