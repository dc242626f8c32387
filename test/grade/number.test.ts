// Exact number literals: a table of readings, and properties against BigInt arithmetic done here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exactEqual, parseNumber, percentOf, rational, roundsTo, type NumLit } from '../../src/grade/number.js';
import { Rng } from '../../src/util/rng.js';

const q = (n: number | bigint, d: number | bigint = 1): NumLit => rational(BigInt(n), BigInt(d));

test('readings of literals', () => {
  const table: [string, NumLit | null][] = [
    ['25', q(25)], ['025', q(25)], ['-7', q(-7)], ['+3', q(3)], ['0.5', q(1, 2)], ['.25', q(1, 4)], ['-0.125', q(-1, 8)],
    ['2.5e3', q(2500)], ['1e-3', q(1, 1000)], ['1.5\\times10^{3}', q(1500)], ['6.02\\times10^{23}', q(602n * 10n ** 21n)],
    ['\\frac{1}{2}', q(1, 2)], ['\\frac{2}{4}', q(1, 2)], ['-\\frac{3}{4}', q(-3, 4)], ['\\frac{-3}{4}', q(-3, 4)], ['3/4', q(3, 4)],
    ['1\\frac{4}{5}', q(9, 5)], ['-2\\frac{1}{3}', q(-7, 3)], ['\\frac{0.5}{2}', q(1, 4)], ['0.\\overline{3}', q(1, 3)],
    ['4.1\\overline{6}', q(25, 6)], ['1.\\overline{142857}', q(8, 7)],
    ['x', null], ['1/0', null], ['\\frac{1}{0}', null], ['', null], ['1e999', null], ['1.2.3', null], ['\\sqrt{2}', null],
  ];
  for (const [s, want] of table) {
    const got = parseNumber(s);
    if (want === null) { assert.equal(got, null, s); continue; }
    assert.ok(got && exactEqual(got, want), `${s}: got ${got ? `${got.num}/${got.den}` : null}, want ${want.num}/${want.den}`);
  }
});

test('decimal literals carry their written precision', () => {
  assert.deepEqual([parseNumber('2.6667')?.res, parseNumber('2.6667')?.sig], [-4, 5]);
  assert.deepEqual([parseNumber('0.0012')?.res, parseNumber('0.0012')?.sig], [-4, 2]);
  assert.deepEqual([parseNumber('1.5e3')?.res, parseNumber('1.5e3')?.sig], [2, 2]);
  assert.equal(parseNumber('12')?.res, undefined);
  assert.equal(parseNumber('\\frac{1}{3}')?.res, undefined);
  assert.deepEqual(percentOf(parseNumber('33.333')!).res, -5);
});

test('random decimals read exactly (against BigInt scaling done here)', () => {
  const rng = new Rng(11);
  for (let t = 0; t < 500; t++) {
    const int = String(rng.int(1e6)), frac = String(rng.int(1e6)).padStart(1 + rng.int(6), '0');
    const neg = rng.next() < 0.5 ? '-' : '';
    const got = parseNumber(`${neg}${int}.${frac}`)!;
    const want = q(BigInt(`${neg}${int}${frac}`), 10n ** BigInt(frac.length));
    assert.ok(exactEqual(got, want), `${neg}${int}.${frac}`);
  }
});

test('roundsTo: rounding or truncation at the last digit, with enough significant digits', () => {
  const third = q(1, 3);
  assert.equal(roundsTo(parseNumber('0.33333')!, third, 5), true);
  assert.equal(roundsTo(parseNumber('0.3333')!, third, 5), false); // 4 significant digits
  assert.equal(roundsTo(parseNumber('0.3333')!, third, 4), true);
  assert.equal(roundsTo(parseNumber('0.33334')!, third, 5), true); // within one unit of the last digit
  assert.equal(roundsTo(parseNumber('0.33335')!, third, 5), false);
  assert.equal(roundsTo(parseNumber('12345')!, q(12346), 5), false); // integers are exact
  // Brute force: d = round(x, 6 places) always matches x; d ± 2e-6 never does.
  const rng = new Rng(5);
  for (let t = 0; t < 300; t++) {
    const x = q(1 + rng.int(1e6), 1 + rng.int(997));
    const scaled = (x.num * 10n ** 6n * 2n + x.den) / (2n * x.den); // round half up, x > 0
    const d = rational(scaled, 10n ** 6n);
    const lit: NumLit = { ...d, res: -6, sig: 10 };
    assert.equal(roundsTo(lit, x, 5), true, `${x.num}/${x.den}`);
    assert.equal(roundsTo({ ...rational(scaled + 2n, 10n ** 6n), res: -6, sig: 10 }, x, 5), false);
  }
});
