// Sampling settings: one typed interface, defaults with where they come from, and one validator.
import { TtrlError } from '../util/errors.js';
import type { TokenPolicy } from '../tensor/backend.js';

/** How each token is drawn from a logits row (the per-token policy; see kernel.ts for the exact rules). */
export type { TokenPolicy };

/** Everything that decides a completion besides the prompt and its random stream. */
export interface SamplingParams extends TokenPolicy {
  /** Stop after this many new tokens (finish reason "length"). */
  maxNewTokens: number;
  /** Stop after sampling one of these (the EOS token is kept in ids/logprobs; finish reason "eos"). */
  eosIds: number[];
  /** Stop once the decoded text contains one (needs a decoder; finish reason "stop"). */
  stopStrings: string[];
}

/**
 * Defaults: TTRL's evaluation setting (pass@1 = avg@16 at temperature 0.6, top-p 0.95; TTRL.md), no
 * top-k / min-p (verl's rollout passes top_k = -1), 512 new tokens. eosIds is empty here: callers take it
 * from the tokenizer / config.json (the sampler never guesses a model's EOS).
 */
export const DEFAULT_SAMPLING: SamplingParams = {
  temperature: 0.6,
  topP: 0.95,
  topK: 0,
  minP: 0,
  maxNewTokens: 512,
  eosIds: [],
  stopStrings: [],
};

type RuleField = 'temperature' | 'topP' | 'topK' | 'minP' | 'maxNewTokens';

/**
 * The range of each sampling setting, written once: the sampler, the training config schema (rollout.* and
 * eval.*) and the CLI flags all check with these rules.
 */
export const SAMPLING_RULES: Record<RuleField, { ok: (x: number) => boolean; want: string }> = {
  temperature: { ok: (x) => Number.isFinite(x) && x >= 0, want: 'a number >= 0; 0 = greedy' },
  topP: { ok: (x) => x > 0 && x <= 1, want: 'in (0, 1]; 1 = off' },
  topK: { ok: (x) => Number.isInteger(x) && x >= 0, want: 'an integer >= 0; 0 = off' },
  minP: { ok: (x) => x >= 0 && x <= 1, want: 'in [0, 1]; 0 = off' },
  maxNewTokens: { ok: (x) => Number.isInteger(x) && x >= 0, want: 'an integer >= 0' },
};

/** Fill defaults and check ranges; a bad value throws a TtrlError naming the field (`where` prefixes it). */
export function resolveSampling(p: Partial<SamplingParams>, where = 'sampling'): SamplingParams {
  const r: SamplingParams = { ...DEFAULT_SAMPLING, ...p };
  const bad = (field: string, v: unknown, want: string): never => {
    throw new TtrlError(`${where}: ${field} = ${JSON.stringify(v)} is invalid (${want})`);
  };
  for (const [field, rule] of Object.entries(SAMPLING_RULES) as [RuleField, (typeof SAMPLING_RULES)[RuleField]][]) {
    if (!rule.ok(r[field])) bad(field, r[field], rule.want);
  }
  if (!r.eosIds.every((x) => Number.isInteger(x) && x >= 0)) bad('eosIds', r.eosIds, 'non-negative integer token ids');
  if (!r.stopStrings.every((s) => typeof s === 'string' && s.length > 0)) bad('stopStrings', r.stopStrings, 'non-empty strings');
  return r;
}
