// What the update trains, set up once per run: the policy, the frozen KL reference and the optimizer.
//   full fine-tuning: the policy (from the base, or the checkpoint), a second model as the reference, AdamW
//                     over every weight.
//   LoRA:             the base, frozen and held once (in bf16 at that precision); an adapter on it (fresh, or
//                     the checkpoint's adapter_model.safetensors); the reference is the same base with the
//                     adapter off (Model.baseView, no second copy); AdamW over the adapter's tensors only.
// Saving is the matching half: a full policy writes a model folder, a LoRA policy PEFT's adapter files.
import type { Backend } from '../tensor/backend.js';
import { cpu } from '../tensor/cpu.js';
import { backendAt } from '../tensor/index.js';
import { loadModel, type Model } from '../model/model.js';
import { LoraAdapter } from '../model/lora.js';
import { loadAdapter, saveAdapter } from '../model/lora-io.js';
import { Optimizer } from '../train/optim.js';
import { deriveSeed } from '../util/rng.js';
import type { Learner } from './learn.js';
import type { RunPlan } from './plan.js';

/** Seed-tuple tag of a fresh adapter's initial A matrices. */
const LORA_INIT_STREAM = 0x10a;

/** The policy, reference and optimizer of a run over base model `baseDir`, resumed from `ckpt` when given. */
export function openLearner(plan: RunPlan, baseDir: string, ckpt: string | null, device: Backend = cpu()): Learner {
  const backend = backendAt(device, plan.precision);
  if (!plan.lora) {
    const policy = loadModel(ckpt ?? baseDir, backend);
    const ref = plan.reference ? loadModel(baseDir, backend) : null;
    ref?.freeze();
    const opt = new Optimizer(policy.params, plan.optimizer, policy.be);
    if (ckpt) opt.load(ckpt);
    return { policy, ref, opt };
  }
  const policy = loadModel(baseDir, backend);
  policy.freeze();
  policy.adapter = ckpt ? loadAdapter(ckpt, policy.params, policy.be)
    : LoraAdapter.init(plan.lora, policy.params.values(), policy.be, deriveSeed(plan.seed, LORA_INIT_STREAM));
  const opt = new Optimizer(policy.adapter.params, plan.optimizer, policy.be);
  if (ckpt) opt.load(ckpt);
  return { policy, ref: plan.reference ? policy.baseView() : null, opt };
}

/** Writes what a run trains into folder `dir`: PEFT adapter files for a LoRA policy, else the model. */
export function savePolicy(dir: string, policy: Model, baseDir: string): void {
  if (policy.adapter) saveAdapter(dir, policy.adapter, baseDir);
  else policy.save(dir);
}
