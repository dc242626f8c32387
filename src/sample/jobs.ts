// The sampler's job and result types, shared by the scheduler, sampleBatch and the server.
import type { SamplingParams } from './params.js';
import type { TopLogprob } from './kernel.js';
import type { TokenDecoder } from './text.js';

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
  /** (ids.length) the job's topLogprobs most likely tokens at each position; only when it asked for them. */
  top?: TopLogprob[][];
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

/** One prompt's worth of work. */
export interface Job {
  /** Prompt token ids (non-empty when n > 0). */
  ids: number[];
  n: number;
  /** Resolved settings (resolveSampling). */
  params: SamplingParams;
  /** Sample j draws from new Rng(seed, key, first + j). */
  seed: number;
  key: number;
  first?: number;
  /** Turns ids into text; needed for stop strings. Without it every text is null. */
  decoder: TokenDecoder | null;
  /** Report this many most likely tokens per position in Sample.top (default 0: none). */
  topLogprobs?: number;
  /** Streams text as it becomes final (needs a decoder); the pieces of a sample concatenate to its text. */
  onText?: (j: number, delta: string) => void;
  /** Sample j is done. */
  onSample: (j: number, s: Sample) => void;
}

export interface SchedulerOptions {
  slots: number;
  /** KV positions per slot. */
  capacity: number;
  /** Prefill each prompt once and copy it to its samples (default true); false prefills every sample. */
  sharePrefix?: boolean;
  /** Most padded prompt positions per prefill forward (default 2048; one prompt always fits). */
  prefillChunk?: number;
  /** Called after every decode step. */
  onProgress?: (p: SampleProgress) => void;
}
