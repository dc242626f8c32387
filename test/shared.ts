// Where the project's shared fixtures live: ../shared beside the repo root (CI and the main checkout),
// or $TTRL_SHARED when working elsewhere (a git worktree).
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repo root: dist/test/shared.js → ../.. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED_DIR = process.env.TTRL_SHARED ?? path.resolve(repoRoot, '..', 'shared');
