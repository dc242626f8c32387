// Benchmark: the cost of one TTRL vote (extract + group + reward) over 64 responses, for MATH-500 gold
// answers, with cold caches (every comparison and CAS parse done afresh) and warm ones (the same vote
// again). Responses mix the gold in other notations, wrong answers and responses with no answer, in the
// proportions of a mid-accuracy model. Prints JSON; `benchGrade()` is called by bench/run.ts.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gradeGroup } from '../src/grade/vote.js';
import { clearGradeCaches, isEquivalent } from '../src/grade/equivalence.js';
import { casLoadMs, getEngine } from '../src/grade/cas.js';
import { Rng } from '../src/util/rng.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHARED = process.env.TTRL_SHARED ?? path.resolve(repoRoot, '..', 'shared');

/** Notations of the same answer a model might write (plain string rewrites). */
function sameAnswer(gold: string, rng: Rng): string {
  const forms = [
    gold,
    gold.replace(/\\frac/g, '\\dfrac'),
    gold.replace(/,(?!\\!|\d{3}(?!\d))\s*/g, ', '), // not in 58,500: `58, 500` is a list
    gold.replace(/\\left|\\right/g, ''),
    /^\d+$/.test(gold) ? `${gold}.0` : gold,
    /^\\frac\{(\d+)\}\{(\d+)\}$/.test(gold) ? gold.replace(/^\\frac\{(\d+)\}\{(\d+)\}$/, '$1/$2') : gold,
    `x = ${gold}`,
  ];
  return forms[rng.int(forms.length)]!;
}

/** A wrong answer: one of three fixed perturbations, so wrong answers also form classes. */
function wrongAnswer(gold: string, rng: Rng): string {
  const k = 1 + rng.int(3);
  const m = /\d(?!.*\d)/.exec(gold);
  if (m) return gold.slice(0, m.index) + String((Number(m[0]) + k) % 10) + gold.slice(m.index + 1);
  return `${gold}+${k}`;
}

function responses(gold: string, n: number, seed: number): string[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const u = rng.next();
    if (u < 0.1) return 'I could not finish this problem.';
    const answer = u < 0.55 ? sameAnswer(gold, rng) : wrongAnswer(gold, rng);
    return `Working through the algebra step by step, we find that the final answer is $\\boxed{${answer}}$.`;
  });
}

function stats(ms: number[]): { meanMs: number; p50Ms: number; p95Ms: number; maxMs: number } {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  const r = (x: number): number => Math.round(x * 100) / 100;
  return { meanMs: r(s.reduce((a, b) => a + b, 0) / s.length), p50Ms: r(q(0.5)), p95Ms: r(q(0.95)), maxMs: r(s[s.length - 1]!) };
}

export async function benchGrade(opts: { problems?: number; samples?: number } = {}): Promise<object> {
  const file = path.join(SHARED, 'data', 'ttrl-bench', 'MATH-TTT.json');
  const rows = JSON.parse(fs.readFileSync(file, 'utf8')) as { answer: string }[];
  const golds = rows.slice(0, opts.problems ?? 100).map((r) => r.answer);
  const n = opts.samples ?? 64;
  getEngine();
  const cold: number[] = [], warm: number[] = [], classes: number[] = [];
  let labelRight = 0;
  golds.forEach((gold, i) => {
    const rs = responses(gold, n, i);
    clearGradeCaches();
    let t0 = performance.now();
    const g = gradeGroup(rs);
    cold.push(performance.now() - t0);
    t0 = performance.now();
    gradeGroup(rs);
    warm.push(performance.now() - t0);
    classes.push(g.numClasses);
    if (g.label !== null && isEquivalent(g.label, gold).equal) labelRight++;
  });
  // Worst case for grouping: 64 different expressions (no two equal), so every pair is compared.
  clearGradeCaches();
  const rng = new Rng(99);
  const distinct = Array.from({ length: n }, (_, i) => `\\boxed{${1 + rng.int(9)}x^{${2 + (i % 5)}} + ${i}\\sqrt{${2 + rng.int(7)}}x - \\frac{${i + 1}}{${2 + rng.int(9)}}}`);
  let t0 = performance.now();
  const worst = gradeGroup(distinct);
  const worstMs = performance.now() - t0;
  return {
    bench: 'grade',
    allDistinctExpressions: { samples: n, classes: worst.numClasses, ms: Math.round(worstMs * 100) / 100 },
    what: `gradeGroup (extract + vote + rewards) over ${n} responses per MATH-500 gold answer`,
    problems: golds.length,
    samplesPerVote: n,
    uncached: stats(cold),
    cached: stats(warm),
    meanClassesPerVote: Math.round((classes.reduce((a, b) => a + b, 0) / classes.length) * 100) / 100,
    labelMatchesGold: labelRight / golds.length,
    casLoadMs: Math.round(casLoadMs()),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  benchGrade().then((r) => process.stdout.write(JSON.stringify(r, null, 2) + '\n'));
}
