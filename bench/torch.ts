// Runs bench/torch_ref.py (plain PyTorch, the comparison) as a subprocess, one section per process so that
// each section's peak RSS is its own. Torch is optional: Debian's python3-torch in /usr/bin/python3; when
// it is missing the torch half is skipped with the reason.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
 * Runs one section of torch_ref.py with `env` as its environment (the caller passes the environment the
 * bench started with, so settings the CPU backend adds for itself, such as OMP_WAIT_POLICY, do not leak
 * into torch) and returns its JSON result.
 */
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
