// Step 1 of a TTRL step: n_votes responses per prompt of the batch. The random stream of every response is
// named by (run seed, step, prompt index, sample), so a response does not depend on its batch neighbours,
// on the engine's slot layout or on where a resumed run starts.
//
// Extending: another way to draw responses (a remote server, an adaptive number of votes) is a
// RolloutEngine; the trainer calls it through `rollout` and never looks inside.
import type { Model } from '../model/model.js';
import { sampleBatchAsync, type SamplingParams, type SampleProgress } from '../sample/index.js';
import { gradeGroup } from '../grade/index.js';
import { deriveSeed } from '../util/rng.js';
import { keptIndices } from './learn.js';
import type { RunPlan } from './plan.js';
import { voteStopReason } from './vote-stop.js';

/**
 * One sampled response: token ids, text, and per token at the rollout temperature over the full vocabulary
 * (sample/kernel.ts): the log-prob of the drawn token, the entropy and the self-certainty; cut off?
 */
export interface Response { ids: number[]; text: string; logprobs: number[]; entropies: number[]; certainties: number[]; truncated: boolean }

/** n responses for one prompt; `key` names its random streams (the prompt's index in the data); they are
 *  its responses first, first + 1, ... (default 0: an engine must honour it for adaptive voting). */
export interface RolloutRequest { ids: number[]; n: number; key: number; first?: number }

export interface RolloutHooks {
  /** Samples done so far, for progress bars. */
  onProgress?: (p: Pick<SampleProgress, 'samplesDone' | 'samplesTotal'>) => void;
  /** Checked while drawing; true ends the rollout early (a Ctrl-C): the engine then returns null. */
  shouldStop?: () => boolean;
}

/**
 * Draws responses[r][j] for every request r in request order; `seed` is the step's seed. Returns null when
 * hooks.shouldStop() turned true before it finished (the step is then dropped, nothing else changes).
 */
export interface RolloutEngine {
  generate(requests: RolloutRequest[], sampling: SamplingParams, seed: number, hooks: RolloutHooks): Promise<Response[][] | null>;
  /** The policy after `step` updates is the one to sample from next (remote engines send it to their servers). */
  sync?(policy: Model, step: number): Promise<void>;
}

type Decode = (ids: number[]) => string;

/** The in-process engine: the policy itself, through the batched sampler. */
export function localEngine(policy: Model, decode: Decode): RolloutEngine {
  return {
    async generate(requests, sampling, seed, hooks) {
      const out = await sampleBatchAsync(policy, requests, sampling,
        { seed, decoder: { decode }, onProgress: hooks.onProgress, shouldStop: hooks.shouldStop });
      return out && out.map((g) => g.map((s) => ({
        ids: s.ids, text: s.text ?? decode(s.ids), logprobs: s.logprobs, entropies: s.entropies, certainties: s.certainties,
        truncated: s.finishReason === 'length',
      })));
    },
  };
}

/** The seed of step `step`'s rollout streams. */
export function rolloutSeed(plan: RunPlan, step: number): number {
  return deriveSeed(plan.seed, step);
}

/**
 * The rollout of one step: plan.rollout.nVotes responses for each prompt index in `indices`, or with
 * adaptive voting as many as each prompt needs (responses[p].length ≤ nVotes; its first ones, so every
 * response is the one fixed voting would have drawn). null when hooks.shouldStop ended it early.
 */
export async function rollout(engine: RolloutEngine, promptIds: readonly number[][], indices: readonly number[], plan: RunPlan,
                              step: number, hooks: RolloutHooks = {}): Promise<Response[][] | null> {
  const { nVotes, sampling, adaptiveVotes, voteWave: wave } = plan.rollout, seed = rolloutSeed(plan, step);
  if (!adaptiveVotes) {
    return engine.generate(indices.map((i) => ({ ids: promptIds[i]!, n: nVotes, key: i })), sampling, seed, hooks);
  }
  const out: Response[][] = indices.map(() => []);
  // the update keeps these leading responses: a prompt is drawn at least that far before it may stop as decided
  const mustDraw = indices.map((i) => Math.max(0, ...keptIndices(plan, step, i).map((j) => j + 1)));
  let open = indices.map((_, p) => p), before = 0;
  while (open.length) {
    const reqs = open.map((p) => ({ ids: promptIds[indices[p]!]!, n: Math.min(wave, nVotes - out[p]!.length), key: indices[p]!, first: out[p]!.length }));
    const total = before + reqs.reduce((a, q) => a + q.n, 0);
    const got = await engine.generate(reqs, sampling, seed, {
      onProgress: (q) => hooks.onProgress?.({ samplesDone: before + q.samplesDone, samplesTotal: total }),
      shouldStop: hooks.shouldStop,
    });
    if (!got) return null;
    before = total;
    open.forEach((p, r) => out[p]!.push(...got[r]!));
    open = open.filter((p) => out[p]!.length < nVotes &&
      voteStopReason(gradeGroup(out[p]!.map((x) => x.text)).classOf, nVotes, mustDraw[p]!, wave, plan.reward.minVoteShare) === null);
  }
  return out;
}
