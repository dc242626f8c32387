// The run folder at the start of `ttrl train`: a folder that holds a run is never reused by accident.
//   fresh (no --resume): refused if the folder holds a run, unless --overwrite, which removes that run first;
//   --resume: continues from the last checkpoint, refused if a training setting differs from the saved
//   config.yaml, unless --force.
// Leftover temporary files of processes that died while writing (`*.tmp-PID`) are removed either way.
import fs from 'node:fs';
import path from 'node:path';
import { TtrlError } from '../util/errors.js';
import { loadConfig } from './config-io.js';
import type { TrainConfig } from './config.js';
import { lastCheckpoint } from './checkpoint.js';

export interface RunDirOptions { resume?: boolean; overwrite?: boolean; force?: boolean }

/** Entries that mark a folder as holding a run (what the trainer writes). */
const RUN_FILES = ['config.yaml', 'metrics.jsonl', 'checkpoints', 'final'];

/** Settings that do not change the weights a run ends with: they may differ on --resume. */
const FREE_ON_RESUME = [/^eval\./, /^run\.save_every$/, /^run\.out_dir$/, /^run\.name$/];

const TMP = /\.tmp-(\d+)$/;

function alive(pid: number): boolean {
  if (pid === process.pid) return false;  // this process has written nothing yet
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Removes `*.tmp-PID` files and folders of processes that no longer run; returns how many. */
export function cleanStaleTemps(runDir: string): number {
  let n = 0;
  for (const dir of [runDir, path.join(runDir, 'checkpoints')]) {
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir)) {
      const m = TMP.exec(name);
      if (m && !alive(Number(m[1]))) { fs.rmSync(path.join(dir, name), { recursive: true, force: true }); n++; }
    }
  }
  return n;
}

/** "section.key" → value of every setting. */
function flatten(cfg: TrainConfig): Map<string, string> {
  const out = new Map<string, string>();
  for (const [section, values] of Object.entries(cfg)) {
    for (const [key, v] of Object.entries(values as Record<string, unknown>)) {
      // a file named relatively or absolutely is the same file
      out.set(`${section}.${key}`, JSON.stringify(key === 'path' && typeof v === 'string' ? path.resolve(v) : v));
    }
  }
  return out;
}

/** The training settings that differ between a saved run's config and `cfg`, as "key was → now". */
export function trainingChanges(saved: TrainConfig, cfg: TrainConfig): string[] {
  const a = flatten(saved), b = flatten(cfg);
  return [...new Set([...a.keys(), ...b.keys()])]
    .filter((k) => !FREE_ON_RESUME.some((re) => re.test(k)) && a.get(k) !== b.get(k))
    .map((k) => `${k} ${a.get(k) ?? '(unset)'} → ${b.get(k) ?? '(unset)'}`);
}

/**
 * Makes `runDir` ready for a run of `cfg` and returns the checkpoint to resume from (null: start at step 0).
 * Throws a TtrlError naming the fix when the folder holds another run or the settings differ.
 */
export function prepareRunDir(runDir: string, cfg: TrainConfig, o: RunDirOptions, note: (s: string) => void): string | null {
  if (o.resume && o.overwrite) throw new TtrlError('--resume and --overwrite exclude each other: --resume continues the run in the folder, --overwrite replaces it');
  fs.mkdirSync(runDir, { recursive: true });
  const stale = cleanStaleTemps(runDir);
  if (stale) note(`note: removed ${stale} temporary file(s) left in ${runDir} by an earlier process`);
  const present = RUN_FILES.filter((f) => fs.existsSync(path.join(runDir, f)));
  if (!o.resume) {
    if (present.length && !o.overwrite) {
      throw new TtrlError(`${runDir} already holds a run (${present.join(', ')}); continue it with --resume, write to a new --out, or replace it with --overwrite`);
    }
    for (const f of [...present, 'report.html', 'rollout-weights']) fs.rmSync(path.join(runDir, f), { recursive: true, force: true });
    return null;
  }
  const ckpt = lastCheckpoint(runDir);
  if (!ckpt) {
    note(`note: --resume: no checkpoint in ${runDir}, starting from the beginning`);
    for (const f of present) fs.rmSync(path.join(runDir, f), { recursive: true, force: true });
    return null;
  }
  const savedFile = path.join(runDir, 'config.yaml');
  let changes: string[];
  try { changes = trainingChanges(loadConfig(savedFile), cfg); } catch (e) {
    changes = [`${savedFile} could not be read (${(e as Error).message})`];
  }
  if (changes.length && !o.force) {
    throw new TtrlError(`--resume: training settings differ from ${savedFile}: ${changes.join('; ')}; resume with the same settings, or add --force to continue with these`);
  }
  if (changes.length) note(`note: --force: continuing ${runDir} with changed settings: ${changes.join('; ')}`);
  return ckpt;
}
