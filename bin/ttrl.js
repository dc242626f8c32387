#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run automatically by npm ci / npm install).
import { existsSync } from 'node:fs';
const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('ttrl: dist/ is missing; run `npm ci` (or `npm run build`) in the project root first\n');
  process.exit(2);
}
await import(entry.href);
