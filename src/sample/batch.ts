// Batched sampling of N completions per prompt, offline: every request is queued on one Scheduler
// (scheduler.ts: shared prompt prefill, continuous batching, per-sample random streams) and stepped until
// done. The server (src/serve) drives the same Scheduler with requests that arrive over time.
//
// Reproducibility. Sample j of request r draws from new Rng(seed, key, first + j), where seed is the request's own
// seed when it has one, else the run seed, and key its key (default r): it does not depend on the batch.
import type { Model } from '../model/model.js';
import { TtrlError } from '../util/errors.js';
import { Pacer } from '../util/pause.js';
import { resolveSampling, type SamplingParams } from './params.js';
import { Scheduler, type Sample, type SampleProgress } from './scheduler.js';
import type { TokenDecoder } from './text.js';

export type { Sample, SampleProgress, FinishReason } from './scheduler.js';
export interface SampleRequest {
  /** Prompt token ids (non-empty). */
  ids: number[];
  /** Completions to draw for it (0 allowed). */
  n: number;
  /** Names its random streams (default: its index in the request list); keep it stable across batches. */
  key?: number;
  /** Its own seed instead of the run seed (SampleOptions.seed), e.g. one derived per prompt. */
  seed?: number;
  /** Number of its first sample (default 0): sample j draws from stream (seed, key, first + j), so a
   *  prompt's samples can be drawn over several calls and still be the samples of one call. */
  first?: number;
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

/** A Scheduler holding every request, and the results array its samples land in. */
function queue(model: Model, requests: SampleRequest[], params: Partial<SamplingParams>, opts: SampleOptions): { sched: Scheduler; results: Sample[][] } {
  const p = resolveSampling(params);
  if (p.stopStrings.length > 0 && !opts.decoder) {
    throw new TtrlError('sampling: stop strings need a decoder (pass a tokenizer, or drop the stop strings)');
  }
  if (opts.maxSlots !== undefined && !(Number.isInteger(opts.maxSlots) && opts.maxSlots >= 1)) {
    throw new TtrlError(`sampling: maxSlots = ${opts.maxSlots} must be an integer >= 1`);
  }
  const total = requests.reduce((a, q) => a + (Number.isInteger(q.n) && q.n > 0 ? q.n : 0), 0);
  const longest = Math.max(1, ...requests.filter((q) => q.n > 0).map((q) => q.ids.length));
  const sched = new Scheduler(model, {
    slots: Math.max(1, Math.min(opts.maxSlots ?? 64, total)), capacity: longest + p.maxNewTokens,
    sharePrefix: opts.sharePrefix, prefillChunk: opts.prefillChunk, onProgress: opts.onProgress,
  });
  const results = requests.map((q) => new Array<Sample>(Math.max(0, q.n)));
  const { onText } = opts;
  requests.forEach((q, r) => sched.submit({
    ids: q.ids, n: q.n, params: p, seed: q.seed ?? opts.seed ?? 0, key: q.key ?? r, first: q.first, decoder: opts.decoder ?? null,
    onText: onText ? (j, delta) => onText(r, j, delta) : undefined,
    onSample: (j, s) => { results[r]![j] = s; },
  }, `sampling: request ${r}`));
  return { sched, results };
}

/** Draw requests[r].n completions of every prompt; returns samples[r][j] in (request, sample) order. */
export function sampleBatch(model: Model, requests: SampleRequest[], params: Partial<SamplingParams>,
                            opts: SampleOptions = {}): Sample[][] {
  const { sched, results } = queue(model, requests, params, opts);
  while (!sched.idle()) sched.step();
  opts.onProgress?.(sched.progress());
  return results;
}

export interface StoppableOptions extends SampleOptions {
  /** Checked whenever the sampler pauses; true ends the batch early. */
  shouldStop?: () => boolean;
  /** Most milliseconds of work between pauses (default 50). */
  pauseMs?: number;
}

/**
 * sampleBatch that pauses for the event loop every few milliseconds of work (so a signal handler can run
 * during a long batch) and returns null once `shouldStop` says so. The samples are those of sampleBatch:
 * pauses fall between scheduler steps and change only timing.
 */
export async function sampleBatchAsync(model: Model, requests: SampleRequest[], params: Partial<SamplingParams>,
                                       opts: StoppableOptions = {}): Promise<Sample[][] | null> {
  const { sched, results } = queue(model, requests, params, opts);
  const pacer = new Pacer(opts.pauseMs ?? 50), stop = opts.shouldStop ?? (() => false);
  while (!sched.idle()) {
    sched.step();
    if (await pacer.tick() && stop()) return null;
  }
  opts.onProgress?.(sched.progress());
  return results;
}
