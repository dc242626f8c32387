// Runs bench/torch_ref.py (plain PyTorch, the comparison) as a subprocess, one section per process so that
// each section's peak RSS is its own. Torch is optional: Debian's python3-torch in /usr/bin/python3; when
// it is missing the torch half is skipped with the reason.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { THREAD_ENV } from '../src/tensor/cpu.js';

const PYTHON = process.env.TTRL_BENCH_PYTHON ?? '/usr/bin/python3';

/** bench/torch_ref.py from either dist/bench/ or bench/. */
function script(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const p of [path.resolve(here, '../../bench/torch_ref.py'), path.resolve(here, 'torch_ref.py')]) {
    if (fs.existsSync(p)) return p;
  }
  throw new Error('bench/torch_ref.py not found');
}

/** null when `import torch` works, else why the torch half is skipped. */
export function torchMissing(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} not runnable (${r.error.message})`;
  if (r.status !== 0) {
    const last = r.stderr.trim().split('\n').pop() ?? '';
    return `${PYTHON} -c "import torch" failed (${last}); install Debian's python3-torch to compare`;
  }
  return null;
}

/**
 * The environment torch runs in: the one the bench started with, plus the thread settings the CPU backend
 * gives itself (THREAD_ENV in src/tensor/cpu.ts) unless set, since torch here uses the same libgomp and OpenBLAS:
 * OMP_WAIT_POLICY=PASSIVE with GOMP_SPINCOUNT=3000 (~30 µs of spinning first) and OPENBLAS_THREAD_TIMEOUT=4.
 * With libgomp's default (spin ~3 ms before sleeping) torch's OpenMP threads and OpenBLAS's threads fight over
 * the 2 cores: a 1×256 prefill took 27-33 s instead of 3.8 s on the benchmark machine, a comparison that
 * would flatter ttrl unfairly.
 */
export function torchEnv(startEnv: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...THREAD_ENV, ...startEnv };
}

/** Runs one section of torch_ref.py in `env` and returns its JSON result (or { failed }). */
export function runTorch(args: string[], env: NodeJS.ProcessEnv): Record<string, unknown> {
  const r = spawnSync(PYTHON, [script(), ...args], { encoding: 'utf8', env, maxBuffer: 16 * 2 ** 20 });
  if (r.error || r.status !== 0) {
    const why = r.error?.message ?? `exit ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
    return { failed: why };
  }
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try { return JSON.parse(line) as Record<string, unknown>; } catch {
    return { failed: `unreadable output: ${line.slice(0, 200)}` };
  }
}
