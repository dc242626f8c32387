// Normalisation: each rule of the issue, input → canonical string written by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeAnswer } from '../../src/grade/normalize.js';

const CASES: [input: string, text: string, percent?: boolean][] = [
  // delimiters, boxes, dollars
  ['$\\frac{1}{2}$', '\\frac{1}{2}'],
  ['\\(x+1\\)', 'x+1'],
  ['\\boxed{5}', '5'],
  ['\\$18.90', '18.9'],
  ['\\$ 5', '5'],
  // fractions and roots get braces
  ['\\dfrac{17}{50}', '\\frac{17}{50}'],
  ['\\tfrac12', '\\frac{1}{2}'],
  ['\\frac 34', '\\frac{3}{4}'],
  ['\\frac9{19}', '\\frac{9}{19}'],
  ['\\sqrt2', '\\sqrt{2}'],
  ['\\sqrt[3]{8}', '\\sqrt[3]{8}'],
  ['\\frac{\\sqrt3}{2}', '\\frac{\\sqrt{3}}{2}'],
  // spacing and sizing
  ['\\left( 3, \\frac{\\pi}{2} \\right)', '(3,\\frac{\\pi}{2})'],
  ['\\Big( 1,2 \\Big]', '(1,2]'],
  ['\\left\\{ 1, 2 \\right\\}', '\\{1,2\\}'],
  ['2\\,\\!x', '2x'],
  ['\\cot x', '\\cot x'],
  ['p - q', 'p-q'],
  ['\\displaystyle \\frac{1}{2}', '\\frac{1}{2}'],
  // trailing punctuation
  ['42.', '42'],
  ['x=5,', 'x=5'],
  ['7\\\\', '7'],
  // degrees and percent
  ['90^\\circ', '90'],
  ['30^{\\circ}', '30'],
  ['45°', '45'],
  ['10\\%', '10', true],
  ['10%', '10', true],
  ['28 percent', '28', true],
  // units and words
  ['5.4 \\text{ cents}', '5.4'],
  ['15\\mbox{ cm}^2', '15'],
  ['\\frac{270}7\\text{ degrees}', '\\frac{270}{7}'],
  ['125 miles', '125'],
  ['3 \\text{ square units}', '3'],
  ['\\text{Evelyn}', 'Evelyn'],
  ['\\text{(B)}', '(B)'],
  ['\\textbf{north east}', 'north east'],
  ['12\\text{ and }13', '12,13'],
  ['x = 1 \\text{ or } x = 2', 'x=1,x=2'],
  ['\\mathbf{v}', 'v'],
  // thousands separators, but not inside intervals or tuples
  ['5,000', '5000'],
  ['10,\\!080', '10080'],
  ['1{,}000', '1000'],
  ['1 000', '1000'],
  ['x = 12,345', 'x=12345'],
  ['[1,100]', '[1,100]'],
  ['(12,102)', '(12,102)'],
  ['0,111', '0,111'],
  // decimals
  ['.5', '0.5'],
  ['-.25', '-0.25'],
  ['2.50', '2.5'],
  ['1000.0', '1000'],
  ['0.\\overline{3}', '0.\\overline{3}'],
  // symbols and words
  ['infinity', '\\infty'],
  ['-∞', '-\\infty'],
  ['π/2', '\\pi/2'],
  ['x ≤ 3', 'x\\leq3'],
  ['x \\le 3', 'x\\leq3'],
  ['x >= 3', 'x\\geq3'],
  ['x \\neq 3', 'x\\ne3'],
  ['x \\approx 3', 'x\\approx3'],
  ['1, 2, 3, ...', '1,2,3,\\ldots'],
  ['sin x', '\\sin x'],
  ['\\varnothing', '\\emptyset'],
  ['\\langle 1, 2 \\rangle', '(1,2)'],
];

test('normalisation rules, input by input', () => {
  const bad = CASES.map(([input, text, percent]) => ({ input, want: { text, percent: percent ?? false }, got: normalizeAnswer(input) }))
    .filter((c) => c.got.text !== c.want.text || c.got.percent !== c.want.percent)
    .map((c) => `${JSON.stringify(c.input)} → ${JSON.stringify(c.got)}, want ${JSON.stringify(c.want)}`);
  assert.equal(bad.length, 0, bad.join('\n'));
});

test('normalisation is idempotent', () => {
  for (const [input] of CASES) {
    const once = normalizeAnswer(input).text;
    assert.equal(normalizeAnswer(once).text, once, input);
  }
});
