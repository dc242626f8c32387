// Every answer of the benchmark sets (shared/data/ttrl-bench) graded against itself in other notations
// (must be equal) and against a one-digit / one-letter change (must not be), both as bare answers and
// inside a model-style response. Covers AIME ("025"), AMC ("142.0"), MATH-500 (LaTeX), GPQA (letters).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SHARED_DIR } from '../shared.js';
import { extractAnswer, extractGold } from '../../src/grade/extract.js';
import { isEquivalent } from '../../src/grade/equivalence.js';
import { perturb, variants } from './notations.js';

const BENCH = path.join(SHARED_DIR, 'data', 'ttrl-bench');
const SETS = ['MATH-TTT', 'MATH-L1-TTT', 'MATH-L2-TTT', 'MATH-L3-TTT', 'MATH-L4-TTT', 'MATH-L5-TTT', 'AIME-TTT', 'AMC-TTT', 'GPQA-TTT'];

function answersOf(set: string): string[] {
  const rows = JSON.parse(fs.readFileSync(path.join(BENCH, `${set}.json`), 'utf8')) as { answer: string }[];
  return [...new Set(rows.map((r) => String(r.answer)))];
}

for (const set of SETS) {
  test(`${set}: answers equal their other notations and differ from a perturbation`, { skip: !fs.existsSync(path.join(BENCH, `${set}.json`)) }, () => {
    const choices = set.startsWith('GPQA');
    const failures: string[] = [];
    let checked = 0;
    for (const goldRaw of answersOf(set)) {
      const gold = extractGold(goldRaw, { choices })!;
      for (const v of variants(gold, choices)) {
        checked++;
        const r = isEquivalent(v, gold, { choices });
        if (!r.equal) failures.push(`variant ${JSON.stringify(v)} of ${JSON.stringify(gold)}: ${r.reason}`);
      }
      // Inside a response, through extraction.
      const response = choices ? `Comparing the options, the answer is (${gold}).` : `Putting it together, the final answer is $\\boxed{${gold}}$.`;
      const extracted = extractAnswer(response, { choices });
      checked++;
      if (extracted === null || !isEquivalent(extracted, gold, { choices }).equal) failures.push(`response for ${JSON.stringify(gold)} extracted ${JSON.stringify(extracted)}`);
      const wrong = perturb(gold, choices);
      checked++;
      const w = isEquivalent(wrong, gold, { choices });
      if (w.equal) failures.push(`perturbed ${JSON.stringify(wrong)} graded equal to ${JSON.stringify(gold)} (${w.reason})`);
    }
    assert.equal(failures.length, 0, `${failures.length} of ${checked} checks failed:\n${failures.slice(0, 40).join('\n')}`);
  });
}
