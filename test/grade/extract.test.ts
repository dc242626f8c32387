// Answer extraction from responses: expected answers written by hand for each rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractAnswer, extractChoice, extractGold, findBoxes, lastNumber } from '../../src/grade/extract.js';

type Case = [response: string, expected: string | null];

function check(cases: Case[], opts = {}): void {
  const bad = cases
    .map(([r, want]) => ({ r, want, got: extractAnswer(r, opts) }))
    .filter((c) => c.got !== c.want)
    .map((c) => `${JSON.stringify(c.r.slice(0, 80))}: got ${JSON.stringify(c.got)}, want ${JSON.stringify(c.want)}`);
  assert.equal(bad.length, 0, bad.join('\n'));
}

test('last \\boxed{} wins, nested braces kept whole', () => {
  check([
    ['So $x = \\boxed{\\frac{1}{2}}$.', '\\frac{1}{2}'],
    ['First \\boxed{1}. On reflection that is wrong; the sum is \\boxed{2}.', '2'],
    ['\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}', '\\left( 3, \\frac{\\pi}{2} \\right)'],
    ['\\boxed{\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}}', '\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}'],
    ['\\boxed{\\{1\\pm\\sqrt{5},-2\\}}', '\\{1\\pm\\sqrt{5},-2\\}'],
    ['\\fbox{7}', '7'],
    ['the answer: \\boxed 5.', '5'],
    ['\\boxed{ 12 }', '12'],
    ['\\boxed{} and then \\boxed{3}', '3'],
    ['Thus \\boxed{x \\in [-2, 7]} holds.', 'x \\in [-2, 7]'],
  ]);
});

test('boxes separated only by connectors form one list answer', () => {
  check([
    ['The integers are \\boxed{-2} and \\boxed{1}.', '-2, 1'],
    ['$\\boxed{1}\\boxed{2}$', '1, 2'],
    ['roots $\\boxed{3}$, $\\boxed{5}$, and $\\boxed{7}$', '3, 5, 7'],
    ['\\[ \\boxed{-2} \\quad \\text{and} \\quad \\boxed{1} \\]', '-2, 1'],
    ['\\[ \\boxed{-2} \\] and \\[ \\boxed{1} \\]', '-2, 1'],
    ['first \\boxed{1}, then after more work we find \\boxed{2}', '2'],
  ]);
});

test('an unclosed box is ignored (truncated output)', () => {
  check([
    ['We get 12, so the answer is \\boxed{12', '12'],
    ['\\boxed{\\frac{3}{4}', '\\frac{3}{4}'],
  ]);
});

test('"the answer is" and "Answer:" phrases', () => {
  check([
    ['Adding, the answer is 42.', '42'],
    ['The final answer is $28 \\%$. I hope it is correct.', '28 \\%'],
    ['Final Answer: The final answer is $\\frac{14}{3}$. I hope it is correct.', '\\frac{14}{3}'],
    ['Answer: 3.5', '3.5'],
    ['**Answer:** 7', '7'],
    ['Final Answer: The largest $n$ is 34.', '34'],
    ['so the answer is $x = 5$.\nDone.', 'x = 5'],
    ['The answer is: 2.75 dollars.', '2.75 dollars'],
  ]);
});

test('a bare answer is returned whole, not its last number', () => {
  check([
    ['\\frac{1}{2}', '\\frac{1}{2}'],
    ['$\\frac{1}{2}$', '\\frac{1}{2}'],
    ['x = 5', 'x = 5'],
    ['(1, 2]', '(1, 2]'],
    ['\\text{Evelyn}', '\\text{Evelyn}'],
    ['  25  ', '25'],
    ['2 + i', '2 + i'],
    ['i', 'i'],
    ['\\[ 2\\sqrt{3} \\]', '2\\sqrt{3}'],
  ]);
});

test('last math span when only prose follows it', () => {
  check([
    ['Therefore $x \\geq 5$ is the solution.', 'x \\geq 5'],
    ['The identity matrix is $ \\begin{pmatrix}1 & 0 \\\\ 0 & 1\\end{pmatrix} $.', '\\begin{pmatrix}1 & 0 \\\\ 0 & 1\\end{pmatrix}'],
    ['Special matrix: $ \\left[\\begin{array}{cc}1 & 2 \\\\3 & 4\\end{array}\\right] $', '\\left[\\begin{array}{cc}1 & 2 \\\\3 & 4\\end{array}\\right]'],
    ['Answer \\( (9+1) \\)', '(9+1)'],
    ['We have $x = 2$ and so there are 7 of them left over', '7'],
  ]);
});

test('last number fallback, fractions read whole; can be switched off', () => {
  check([
    ['the probability that Alice wins the game is 2/3. <|im_start|>user', '2/3'],
    ['Final Answer: Jane started growing Sphere 3 hours ago. I hope it is correct.', '3'],
    ['We get 3 apples and then 5 pears in total', '5'],
    ['I think 5', '5'],
    ['which gives a probability of $\\frac{2}{3}$ in the end, I think', '\\frac{2}{3}'],
    ['So there would be 1,000 ways when we count it that way', '1,000'],
    ['The temperature was -4 degrees when we measured it', '-4'],
    ['With 2/3 of the class left over we are done here', '2/3'],
    ['I do not know how to do this problem at all', null],
    ['', null],
  ]);
  check([
    ['We get 3 apples and then 5 pears in total', null],
    ['So the answer is 5', '5'],
    ['\\boxed{9}', '9'],
  ], { lastNumberFallback: false });
});

test('multiple choice letters', () => {
  const cases: [string, string | null][] = [
    ['... so \\boxed{C}', 'C'],
    ['\\boxed{\\text{(A)}}', 'A'],
    ['\\boxed{(B) 42 meters}', 'B'],
    ['The answer is (B).', 'B'],
    ['The correct answer is D', 'D'],
    ['Answer: C', 'C'],
    ['answer is **B**', 'B'],
    ['Option (A) fails and option (C) works.', 'C'],
    ['I pick D.', 'D'],
    ['no letter here at all', null],
  ];
  const bad = cases.filter(([r, w]) => extractChoice(r) !== w).map(([r, w]) => `${r}: got ${extractChoice(r)}, want ${w}`);
  assert.equal(bad.length, 0, bad.join('\n'));
  assert.equal(extractAnswer('\\boxed{B}', { choices: true }), 'B');
  assert.equal(extractChoice('\\boxed{E}', 'ABCDE'), 'E');
});

test('gold answers: box if any, else as written (never the last number)', () => {
  assert.equal(extractGold('$\\frac{14}{3}$'), '\\frac{14}{3}');
  assert.equal(extractGold('\\boxed{7}'), '7');
  assert.equal(extractGold('Since 3 + 4 = 7, the total is $\\boxed{7}$.'), '7');
  assert.equal(extractGold('\\left( 3, \\frac{\\pi}{2} \\right)'), '\\left( 3, \\frac{\\pi}{2} \\right)');
  assert.equal(extractGold('142.0'), '142.0');
  assert.equal(extractGold('C', { choices: true }), 'C');
  assert.equal(extractGold('(C)', { choices: true }), 'C');
  assert.equal(extractGold('  '), null);
});

test('helpers: box positions and last number', () => {
  const t = 'a \\boxed{1} b \\boxed{{2}} c';
  assert.deepEqual(findBoxes(t).map((b) => [t.slice(b.start, b.end), b.content]), [['\\boxed{1}', '1'], ['\\boxed{{2}}', '{2}']]);
  assert.equal(lastNumber('x 1.5 y .25'), '.25');
  assert.equal(lastNumber('no digits'), null);
});

test('a `# Answer` section at the end of a solution is the answer', () => {
  check([
    ['We add the parts: 3 + 4 = 7.\n\n# Answer\n\n7', '7'],
    ['So the area is half the base times the height.\n\n# Answer\n\n\\frac{15}{2}', '\\frac{15}{2}'],
    ['The roots are found by the quadratic formula.\n\n# Answer\n\n2 \\pm \\sqrt{5}', '2 \\pm \\sqrt{5}'],
    ['First we get \\boxed{3}, which is wrong.\n\n# Answer\n\n$4\\sqrt{2}$', '4\\sqrt{2}'],
    ['Simplify.\n\n# Answer\n\n-1 + 3i\n\nSome trailing remark.', '-1 + 3i'],
    ['## Final Answer\nThe answer is $(2, -5)$.', '(2, -5)'],
    ['# Answer: 12', '12'],
    ['Step one.\n# Answer\n\n', null],
    ['## Answer explanation\nWe count the cases.', null],
  ], { lastNumberFallback: false });
});

test('a sentence that judges an answer ("the answer is correct") states none', () => {
  check([
    ['The answer is 12. I checked, and this answer is correct.', '12'],
    ['Final answer: $\\frac{3}{8}$. The answer is indeed correct.', '\\frac{3}{8}'],
    ['So the answer is 40. My previous answer was wrong, but the answer is right now.', '40'],
    ['Answer: 6. Is that answer valid? The answer is not correct for n = 0.', '6'],
  ]);
});

test('boxes that belong to one answer are joined; a repeated box is one answer', () => {
  check([
    ['\\boxed{3} for part (a) and \\boxed{11} for part (b)', '3, 11'],
    ['\\boxed{2} apples and \\boxed{5} pears', '2, 5'],
    ['\\boxed{1} ;; \\boxed{4}', '1, 4'],
    ['\\boxed{1} was my first guess but after checking the cases \\boxed{4}', '4'],
    ['we get \\boxed{9} here. Double-checking the sum gives \\boxed{9} again, so \\boxed{9}', '9'],
    ['\\\\boxed{12}', '12'],
  ]);
});

test('the last number keeps shorthand fractions, roots and complex numbers whole', () => {
  check([
    ['so x equals \\frac34 in the end', '\\frac34'],
    ['the side length comes out to 5\\sqrt{2} centimeters', '5\\sqrt{2}'],
    ['the height is \\frac{\\sqrt{3}}{2} and that is all', '\\frac{\\sqrt{3}}{2}'],
    ['so z comes to 2 - 7i in the end', '2-7i'],
    ['so we find 7 - 2 apples', '2'],
    ['so there are 3 of them, not the code XK2B', '3'],
  ]);
});

test('math spans that only connectors separate form one answer', () => {
  check([
    ['Checking each case, the roots are $-2$ and $1$.', '-2, 1'],
    ['The divisors are $1,$ $2,$ and $4.$', '1, 2, 4'],
    ['So $a = 3$, and then we see that $b = 4$.', 'b = 4'],
    ['The solutions are $x = 2$ or $x = 5$ exactly.', 'x = 2, x = 5'],
  ]);
});
