// Old log-probs recomputed by the policy itself: log softmax(logits / T)[token] of every response token given
// its prompt, as verl's actor recomputes old_log_prob, and the entropy of softmax(logits / T) there. Remote
// rollouts use it so the PPO ratio (and the entropy rewards) never depend on an inference server's numerics.
import type { Model } from '../model/model.js';

/** Most padded positions per forward (bounds the activations kept). */
const TOKENS_PER_FORWARD = 8192;

/** logprobs[j][t] of responses[j][t] after prompt + responses[j][..t] and the entropy there, at temperature T (0 scores at 1). */
export function rescore(model: Model, prompt: readonly number[], responses: readonly (readonly number[])[],
                        temperature: number): { logprobs: number[][]; entropies: number[][] } {
  const out: number[][] = responses.map(() => []), ent: number[][] = responses.map(() => []);
  const P = prompt.length;
  for (let i = 0; i < responses.length;) {
    let T = P + Math.max(1, responses[i]!.length), k = 1;
    while (i + k < responses.length) {
      const t = Math.max(T, P + responses[i + k]!.length);
      if ((k + 1) * t > TOKENS_PER_FORWARD) break;
      T = t; k++;
    }
    const ids = new Int32Array(k * T), mask = new Float32Array(k * T), targets = new Int32Array(k * T).fill(-1);
    for (let b = 0; b < k; b++) {
      const seq = [...prompt, ...responses[i + b]!];
      seq.forEach((id, t) => { ids[b * T + t] = id; mask[b * T + t] = 1; });
      // position t predicts token t + 1: the response tokens are targets at positions P - 1 .. P + R - 2
      for (let t = P - 1; t + 1 < seq.length; t++) targets[b * T + t] = seq[t + 1]!;
    }
    const st = model.forward({ B: k, T, ids, mask, targets }, { temperature: temperature || 1, entropy: true });
    for (let b = 0; b < k; b++) {
      const R = responses[i + b]!.length;
      out[i + b] = Array.from(st.logprobs.subarray(b * T + P - 1, b * T + P - 1 + R));
      ent[i + b] = Array.from(st.entropy!.subarray(b * T + P - 1, b * T + P - 1 + R));
    }
    i += k;
  }
  model.freeScratch();
  return { logprobs: out, entropies: ent };
}
