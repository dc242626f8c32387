// The two reward modes that ask the policy itself about its responses: self_verify (a sampled verdict per
// response, through the same batched sampler as the rollout) and evol (an embedding per response: the
// policy's last hidden state, mean-pooled over the response's tokens).
import type { Model } from '../model/model.js';
import { sampleBatch, type SamplingParams } from '../sample/index.js';
import { fillVerifyTemplate, parseVerdict } from './verify.js';

export interface VerifySettings {
  template: string;
  sampling: SamplingParams;
  /** Seed of the judge's sampling streams (one per step). */
  seed: number;
}

export interface Verdicts { verdicts: number[][]; texts: string[][] }

/**
 * self_verify: one judgement per response. promptIdsOf turns a judge prompt text into prompt ids (the run's
 * chat template); questions[p] is prompt p's question and responses[p][j] its j-th response text.
 */
export function verifyResponses(policy: Model, questions: readonly string[], responses: readonly (readonly string[])[],
                                promptIdsOf: (text: string) => number[], decode: (ids: number[]) => string, s: VerifySettings): Verdicts {
  const reqs: { ids: number[]; n: number; key: number }[] = [];
  const at: [number, number][] = [];
  responses.forEach((group, p) => group.forEach((r, j) => {
    reqs.push({ ids: promptIdsOf(fillVerifyTemplate(s.template, questions[p]!, r)), n: 1, key: reqs.length });
    at.push([p, j]);
  }));
  const out = sampleBatch(policy, reqs, s.sampling, { seed: s.seed, decoder: { decode } });
  const verdicts = responses.map((g) => new Array<number>(g.length).fill(0));
  const texts = responses.map((g) => new Array<string>(g.length).fill(''));
  out.forEach((g, k) => {
    const [p, j] = at[k]!, text = g[0]!.text ?? decode(g[0]!.ids);
    verdicts[p]![j] = parseVerdict(text);
    texts[p]![j] = text;
  });
  return { verdicts, texts };
}

/** Token positions per forward when embedding (bounds the activations of one pass). */
const EMBED_CHUNK_TOKENS = 2048;

/**
 * evol: each response's embedding, the mean over its tokens of the policy's final hidden state (after the
 * last norm), with the response run on its own (as EVOL-RL embeds the response text alone). An empty
 * response gets a zero vector. ids[p][j] → embeddings[p][j] (C floats).
 */
export function embedResponses(policy: Model, ids: readonly (readonly number[][])[]): Float32Array[][] {
  const C = policy.cfg.hidden;
  const flat = ids.flatMap((g, p) => g.map((r, j) => ({ p, j, r })));
  const out = ids.map((g) => g.map(() => new Float32Array(C)));
  for (let i = 0; i < flat.length;) {
    let T = Math.max(1, flat[i]!.r.length), k = 1;
    while (i + k < flat.length && (k + 1) * Math.max(T, flat[i + k]!.r.length) <= EMBED_CHUNK_TOKENS) { T = Math.max(T, flat[i + k]!.r.length); k++; }
    const chunk = flat.slice(i, i + k), B = chunk.length;
    const tokIds = new Int32Array(B * T), mask = new Float32Array(B * T);
    chunk.forEach(({ r }, b) => r.forEach((t, x) => { tokIds[b * T + x] = t; mask[b * T + x] = 1; }));  // right padding: causal, pads never seen
    const h = policy.forwardHidden({ B, T, ids: tokIds, mask });
    chunk.forEach(({ p, j, r }, b) => {
      const e = out[p]![j]!;
      for (let x = 0; x < r.length; x++) for (let c = 0; c < C; c++) e[c] += h[(b * T + x) * C + c]!;
      if (r.length) for (let c = 0; c < C; c++) e[c] /= r.length;
    });
    i += k;
  }
  return out;
}
