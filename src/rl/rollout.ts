// Step 1 of a TTRL step: n_votes responses per prompt of the batch. The random stream of every response is
// named by (run seed, step, prompt index, sample), so a response does not depend on its batch neighbours,
// on the engine's slot layout or on where a resumed run starts.
//
// Extending: another way to draw responses (a remote server, an adaptive number of votes) is a
// RolloutEngine; the trainer calls it through `rollout` and never looks inside.
import type { Model } from '../model/model.js';
import { sampleBatch, type SamplingParams, type SampleProgress } from '../sample/index.js';
import { deriveSeed } from '../util/rng.js';
import type { RunPlan } from './plan.js';

/** One sampled response: token ids, text, rollout log-probs (log softmax(logits/T) of each token), cut off? */
export interface Response { ids: number[]; text: string; logprobs: number[]; truncated: boolean }

/** n responses for one prompt; `key` names its random streams (the prompt's index in the data). */
export interface RolloutRequest { ids: number[]; n: number; key: number }

export interface RolloutHooks {
  /** Samples done so far, for progress bars. */
  onProgress?: (p: Pick<SampleProgress, 'samplesDone' | 'samplesTotal'>) => void;
}

/** Draws responses[r][j] for every request r in request order; `seed` is the step's seed. */
export interface RolloutEngine {
  generate(requests: RolloutRequest[], sampling: SamplingParams, seed: number, hooks: RolloutHooks): Promise<Response[][]>;
}

type Decode = (ids: number[]) => string;

/** The in-process engine: the policy itself, through the batched sampler. */
export function localEngine(policy: Model, decode: Decode): RolloutEngine {
  return {
    async generate(requests, sampling, seed, hooks) {
      const out = sampleBatch(policy, requests, sampling, { seed, decoder: { decode }, onProgress: hooks.onProgress });
      return out.map((g) => g.map((s) => ({
        ids: s.ids, text: s.text ?? decode(s.ids), logprobs: s.logprobs, truncated: s.finishReason === 'length',
      })));
    },
  };
}

/** The seed of step `step`'s rollout streams. */
export function rolloutSeed(plan: RunPlan, step: number): number {
  return deriveSeed(plan.seed, step);
}

/** The rollout of one step: plan.rollout.nVotes responses for each prompt index in `indices`. */
export function rollout(engine: RolloutEngine, promptIds: readonly number[][], indices: readonly number[], plan: RunPlan,
                        step: number, hooks: RolloutHooks = {}): Promise<Response[][]> {
  const requests = indices.map((i) => ({ ids: promptIds[i]!, n: plan.rollout.nVotes, key: i }));
  return engine.generate(requests, plan.rollout.sampling, rolloutSeed(plan, step), hooks);
}
