// Whole solutions, as models and datasets write them, around every MATH-500 answer: the answer (in another
// notation) or a one-digit change must be found and graded right, with the solution on either side (as the
// response, and as a gold that is itself a worked solution). Prints the agreement for the record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SHARED_DIR } from '../shared.js';
import { extractAnswer, extractGold } from '../../src/grade/extract.js';
import { isEquivalent } from '../../src/grade/equivalence.js';
import { perturb, variants } from './notations.js';

const FILE = path.join(SHARED_DIR, 'data', 'ttrl-bench', 'MATH-TTT.json');

/** Endings seen in real solutions; `a` is the answer as the solution writes it. */
const ENDINGS: [string, (a: string) => string][] = [
  ['# Answer section', (a) => `We simplify step by step and check each case.\n\nSo we are done.\n\n# Answer\n\n${a}`],
  ['box in a display', (a) => `Collecting terms, we have\n\\[\n\\boxed{${a}}\n\\]\nas required.`],
  ['final answer sentence', (a) => `Final Answer: The final answer is $${a}$. I hope it is correct.`],
  ['bold heading and box', (a) => `Let me verify the computation once more; it holds.\n\n**Final Answer**\n\\[\n\\boxed{${a}}\n\\]`],
  ['abandoned first box', (a) => `My first guess was \\boxed{0}, but after checking the cases more carefully we get \\boxed{${a}}.`],
  ['verdict after the answer', (a) => `So the answer is $${a}$. I checked it twice, and this answer is correct.`],
];

/**
 * A value-only answer can also end an equation chain (`... = a`), read by its final value. Only as the
 * response: a gold is never read from its last math span.
 */
const CHAIN: [string, (a: string) => string] = ['equation chain', (a) => `Adding the parts, $\\frac{1}{2} + \\frac{1}{2} + (${a}) - 1 = ${a}$.`];

function golds(): string[] {
  const rows = JSON.parse(fs.readFileSync(FILE, 'utf8')) as { answer: string }[];
  return [...new Set(rows.map((r) => extractGold(String(r.answer))!))];
}

test('MATH-500 answers inside whole solutions: found and graded both ways', { skip: !fs.existsSync(FILE) && 'shared/data/ttrl-bench not present' }, (t) => {
  const failures: string[] = [];
  const byEnding = new Map<string, [number, number]>();
  let agree = 0, total = 0, unequalRejected = 0, unequal = 0;
  golds().forEach((gold, k) => {
    const vs = variants(gold);
    const scalar = !/[=<>,]|\\[lg]e|\\in|\\begin|\\text|\\pm|\\cup|&/.test(gold);
    const endings = scalar ? [...ENDINGS, CHAIN] : ENDINGS;
    endings.forEach(([name, write], e) => {
      const forms = name === CHAIN[0] ? vs.filter((v) => !v.includes('=')) : vs;
      const right = forms.length > 0 ? forms[(k + e) % forms.length]!.trim() : gold;
      for (const [answer, want] of [[right, true], [perturb(gold), false]] as const) {
        const solution = write(answer.replace(/^\$|\$$/g, ''));
        // The solution as the response; then as the gold, against the bare MATH-500 answer as the response.
        const asPred = extractAnswer(solution), asGold = extractGold(solution);
        const verdicts: [string, string | null, boolean][] = [
          ['pred', asPred, asPred !== null && isEquivalent(asPred, gold).equal],
          ['gold', asGold, asGold !== null && isEquivalent(gold, asGold).equal],
        ];
        for (const [dir, extracted, equal] of name === CHAIN[0] ? verdicts.slice(0, 1) : verdicts) {
          const ok = equal === want;
          total++;
          if (ok) agree++;
          if (!want) { unequal++; if (ok) unequalRejected++; }
          const c = byEnding.get(name) ?? [0, 0];
          byEnding.set(name, [c[0] + (ok ? 1 : 0), c[1] + 1]);
          if (!ok) failures.push(`[${name}, solution as ${dir}] gold ${JSON.stringify(gold)}, written ${JSON.stringify(answer)}: extracted ${JSON.stringify(extracted)}`);
        }
      }
    });
  });
  t.diagnostic(`agreement ${agree}/${total} (${((100 * agree) / total).toFixed(1)}%), unequal rejected ${unequalRejected}/${unequal}; by ending: ${[...byEnding].map(([n, [a, b]]) => `${n} ${a}/${b}`).join(', ')}`);
  assert.equal(failures.length, 0, `${failures.length} of ${total} wrong:\n${failures.slice(0, 30).join('\n')}`);
});
