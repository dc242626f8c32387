// A run folder's files on disk: checkpoints (HF model dir, or a LoRA run's PEFT adapter files, + optimizer
// state + run state), final/, and the metrics log. Every folder is written under a temporary name, fsynced
// and renamed, so a reader (or --resume) only ever sees complete ones.
import fs from 'node:fs';
import path from 'node:path';
import type { Model } from '../model/model.js';
import type { Optimizer } from '../train/optim.js';
import type { BatchCursor } from '../data/batches.js';
import { writeFileAtomic, copySideFiles } from '../model/params.js';
import { onDisk, fsyncPath, fsyncTree } from '../util/disk.js';
import { savePolicy } from './learner.js';

/** Where a run stands after `step` steps: the next batch to train on. */
export interface RunState { step: number; cursor: BatchCursor }

const stepsIn = (dir: string): number[] => fs.readdirSync(dir).map((n) => /^step-(\d+)$/.exec(n))
  .filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1])).sort((a, b) => b - a);

/** The last complete checkpoint of a run directory, if any. */
export function lastCheckpoint(runDir: string): string | null {
  const dir = path.join(runDir, 'checkpoints');
  if (!fs.existsSync(dir)) return null;
  const s = stepsIn(dir).find((n) => fs.existsSync(path.join(dir, `step-${n}`, 'state.json')));
  return s === undefined ? null : path.join(dir, `step-${s}`);
}

/** Removes the checkpoints of step ≥ `from` (weights that drew collapsed rollouts); returns the newest left. */
export function dropCheckpointsFrom(runDir: string, from: number): string | null {
  const dir = path.join(runDir, 'checkpoints');
  if (fs.existsSync(dir)) for (const s of stepsIn(dir)) if (s >= from) fs.rmSync(path.join(dir, `step-${s}`), { recursive: true, force: true });
  return lastCheckpoint(runDir);
}

export function readRunState(ckpt: string): RunState {
  return JSON.parse(fs.readFileSync(path.join(ckpt, 'state.json'), 'utf8')) as RunState;
}

/**
 * Write `policy` (with the base model's side files) to `dir` through a temporary folder, fsynced, then renamed.
 * On failure the temporary folder is removed and `dir` is as it was; a disk problem becomes a DiskError.
 */
function writeModelDir(dir: string, baseDir: string, policy: Model, extra: (tmp: string) => void): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  onDisk(tmp, () => {
    try {
      fs.rmSync(tmp, { recursive: true, force: true });
      savePolicy(tmp, policy, baseDir);
      copySideFiles(baseDir, tmp);
      extra(tmp);
      fsyncTree(tmp);
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  });
  onDisk(dir, () => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
    fsyncPath(path.dirname(dir));
  });
}

/** A checkpoint of `state`; keeps the `keep` newest. */
export function saveCheckpoint(runDir: string, baseDir: string, policy: Model, opt: Optimizer, state: RunState, keep: number): string {
  const dir = path.join(runDir, 'checkpoints');
  onDisk(dir, () => fs.mkdirSync(dir, { recursive: true }));
  const final = path.join(dir, `step-${state.step}`);
  writeModelDir(final, baseDir, policy, (tmp) => {
    opt.save(tmp);
    writeFileAtomic(path.join(tmp, 'state.json'), JSON.stringify(state) + '\n');
  });
  for (const s of stepsIn(dir).slice(keep)) onDisk(dir, () => fs.rmSync(path.join(dir, `step-${s}`), { recursive: true, force: true }));
  return final;
}

/** The trained model as runDir/final (an ordinary model folder). */
export function saveFinal(runDir: string, baseDir: string, policy: Model): void {
  writeModelDir(path.join(runDir, 'final'), baseDir, policy, () => {});
}

/** Metrics lines after `step` are dropped on resume: the resumed run writes them again. */
export function truncateMetrics(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const keep = fs.readFileSync(file, 'utf8').split('\n').filter((l) => {
    if (!l.trim()) return false;
    try { return (JSON.parse(l) as { step: number }).step <= step; } catch { return false; }
  });
  onDisk(file, () => writeFileAtomic(file, keep.map((l) => l + '\n').join('')));
}
