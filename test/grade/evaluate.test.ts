// The float evaluator against the CAS's own numeric evaluation (an independent implementation) on
// parsed expressions, and against identities and Math.* on hand-written MathJSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateJson, type C } from '../../src/grade/evaluate.js';
import { getEngine, sampleValue } from '../../src/grade/cas.js';
import { Rng } from '../../src/util/rng.js';

const close = (a: C | null, b: C, tol = 1e-9): boolean =>
  a !== null && Math.hypot(a[0] - b[0], a[1] - b[1]) <= tol * Math.max(1, Math.hypot(b[0], b[1]));

test('hand-written MathJSON: arithmetic, branches, integer functions', () => {
  const cases: [unknown, C][] = [
    [['Add', 1, 2, ['Negate', 0.5]], [2.5, 0]],
    [['Divide', 1, ['Complex', 0, 1]], [0, -1]],
    [['Sqrt', -4], [0, 2]],
    [['Root', -8, 3], [-2, 0]],
    [['Power', -8, ['Rational', 1, 3]], [1, Math.sqrt(3)]],
    [['Power', -2, 3], [-8, 0]],
    [['Power', 'ExponentialE', ['Multiply', ['Complex', 0, 1], 'Pi']], [-1, 0]],
    [['Log', 8, 2], [3, 0]],
    [['Log', 1000], [3, 0]],
    [['Ln', -1], [0, Math.PI]],
    [['Factorial', 5], [120, 0]],
    [['Binomial', 10, 3], [120, 0]],
    [['GCD', 12, 18], [6, 0]],
    [['LCM', 4, 6], [12, 0]],
    [['Mod', -3, 5], [2, 0]],
    [['Abs', ['Complex', 3, 4]], [5, 0]],
    [['Floor', -2.5], [-3, 0]],
    [['Arctan', 1], [Math.PI / 4, 0]],
    [{ num: '1.5e3' }, [1500, 0]],
    ['Half', [0.5, 0]],
  ];
  for (const [json, want] of cases) assert.ok(close(evaluateJson(json, {}), want), `${JSON.stringify(json)} → ${evaluateJson(json, {})}, want ${want}`);
  assert.equal(evaluateJson(['Sum', 'n', ['Limits', 'n', 1, 10]], {}), null);
  assert.equal(evaluateJson('y', { x: 1 }), null);
  assert.equal(evaluateJson("'text'", {}), null);
  assert.deepEqual(evaluateJson({ num: '1e+400' }, {}), [Infinity, 0]);
});

test('inverse functions invert their functions on random complex points (maxdiff printed on failure)', () => {
  const rng = new Rng(3);
  let maxdiff = 0;
  const pairs: [string, string][] = [['Sin', 'Arcsin'], ['Cos', 'Arccos'], ['Tan', 'Arctan'], ['Sinh', 'Arsinh'], ['Cosh', 'Arcosh'], ['Tanh', 'Artanh'], ['Exp', 'Ln']];
  for (let t = 0; t < 200; t++) {
    const z: C = [rng.next() * 1.6 - 0.8, rng.next() * 1.6 - 0.8];
    for (const [f, g] of pairs) {
      const v = evaluateJson([f, [g, ['Complex', z[0], z[1]]]], {})!;
      maxdiff = Math.max(maxdiff, Math.hypot(v[0] - z[0], v[1] - z[1]));
    }
  }
  assert.ok(maxdiff < 1e-10, `maxdiff ${maxdiff}`);
});

const EXPRESSIONS = [
  'x^2+2x+1', '\\frac{\\pi r}{h+r}', '\\sqrt{x-3}', '\\tan^2(y)+1', '\\frac{1}{3\\sqrt[3]{x}^2}', '2+3i', 'e^{ix}',
  '\\ln(x)+\\log_2 y', '\\sin^2 x+\\cos x', '\\arcsin(x/3)', '\\frac{x^9-1}{x-1}', '(a+5)(b+2)', '\\sqrt{x^2+y^2}',
  '\\cot x - \\csc x', '\\sec^2 t', '|x-2|', '5x - 7y + 11z + 4', '\\frac{\\sqrt{21}}{5}', '\\pi^2/8', '3R^2',
  '\\frac{11+9a}{20}', 'x^{2/3}', '\\sqrt[3]{-27}', '2^{-10}', '\\frac{3\\sqrt{3}}{4}', '(1+i)^5', '\\sinh x \\cosh x',
  '\\binom{7}{3}', '6!', '\\log 50', 'e^{-x^2}', '\\frac{1}{1-x}', '10^{x}', '\\arctan(x) + \\arctan(1/x)',
];

test(`agrees with the CAS's own .N() on ${EXPRESSIONS.length} parsed expressions at sample points`, () => {
  const ce = getEngine();
  const failures: string[] = [];
  let maxdiff = 0;
  for (const tex of EXPRESSIONS) {
    const e = ce.parse(tex);
    const vars = [...e.unknowns];
    for (let k = 0; k < 3; k++) {
      const env = Object.fromEntries(vars.map((v) => [v, sampleValue(v, k)]));
      const mine = evaluateJson(e.json, env);
      const theirs = e.subs(Object.fromEntries(vars.map((v) => [v, ce.number(env[v]!)]))).N();
      const want: C = [theirs.re, theirs.im];
      if (!mine || !close(mine, want, 1e-9)) failures.push(`${tex} at ${JSON.stringify(env)}: mine ${JSON.stringify(mine)}, CAS ${JSON.stringify(want)}`);
      else maxdiff = Math.max(maxdiff, Math.hypot(mine[0] - want[0], mine[1] - want[1]) / Math.max(1, Math.hypot(want[0], want[1])));
    }
  }
  assert.equal(failures.length, 0, `${failures.join('\n')}\n(maxdiff among the rest ${maxdiff})`);
});
