// String normalisation of an extracted answer: remove what does not change its value, and rewrite
// notations the CAS parser does not read (measured against @cortex-js/compute-engine 0.140: it reads
// `\frac12`, `\sqrt2`, `\dfrac`, `2.5e3`, `\left(`; it does NOT read `\$`, `10,\!080` (a tuple), `\text{ cm}`
// units, `^\circ` (it turns 30° into π/6, where graders compare 30), `\%` (0.1, fine, but graders let the
// gold decide) or words like "infinity").
//
// The result is a canonical string: two answers with the same canonical string are equal without any
// further work (the fast path of the vote), so every rewrite here must keep the value. Rules follow the
// Hendrycks MATH `strip_string` / PRM800K `_normalize` / Qwen2.5-Math `strip_string` family.
import { readArg, replaceMacro } from './latex.js';

export interface Normalized {
  /** Canonical form: same string ⇒ same answer. */
  text: string;
  /** A percent sign (`\%`, `%`, "percent") was present and removed; the comparison decides what it means. */
  percent: boolean;
}

/** Macros whose argument is prose or a unit rather than mathematics. */
const TEXT_MACROS = ['text', 'textbf', 'textit', 'textnormal', 'textrm', 'textsf', 'texttt', 'mbox', 'mathrm', 'emph', 'hbox'];
/** Font macros in mathematics: the argument is the value (`\mathbf{v}`). */
const FONT_MACROS = ['mathbf', 'boldsymbol', 'mathit', 'mathsf', 'bm', 'mathnormal'];

/** Units that may trail a number (multi-letter only: `3 m` could be 3·m). Plurals via the regex. */
const UNIT_WORDS = [
  'units?', 'square', 'sq', 'cubic', 'cm', 'centimeters?', 'meters?', 'metres?', 'km', 'kilometers?', 'mm', 'inch(?:es)?',
  'feet', 'foot', 'ft', 'yards?', 'yd', 'miles?', 'mph', 'seconds?', 'sec', 'minutes?', 'mins?', 'hours?', 'hrs?',
  'days?', 'weeks?', 'months?', 'years?', 'dollars?', 'cents?', 'degrees?', 'deg', 'radians?', 'grams?', 'kg',
  'pounds?', 'lbs?', 'ounces?', 'oz', 'liters?', 'litres?', 'ml', 'gallons?', 'people', 'students', 'ways', 'points?',
  'percent', 'pct', 'percentage', 'times', 'steps', 'coins', 'boxes', 'books', 'cars', 'apples', 'eggs', 'balls', 'pieces',
];
const TRAILING_UNIT_RE = new RegExp(`(?:\\s+|(?<=\\d))(?:${UNIT_WORDS.join('|')})(?:\\s*\\^\\s*\\{?[23]\\}?)?\\.?$`, 'i');

/**
 * Commands written with a doubled backslash (`\\frac`, `\\le`: a string escaped twice on its way into a
 * file). A LaTeX line break is never followed by these names inside an answer, so the doubling is undone.
 */
const DOUBLED_COMMAND_RE = /(?<!\\)\\\\(?=(?:[dtc]?frac|sqrt|left|right|boxed|fbox|text|textbf|mathrm|mathbf|le|leq|ge|geq|lt|gt|ne|neq|pm|mp|pi|infty|in|cup|cap|cdot|times|div|circ|degree|mathbb|sin|cos|tan|cot|sec|csc|log|ln|exp|alpha|beta|gamma|theta|quad|qquad|emptyset|varnothing|dots|ldots|cdots|approx|overline)(?![a-zA-Z]))/g;

/** Unicode and ASCII spellings the parser wants in LaTeX. */
const SYMBOLS: [RegExp, string][] = [
  [/∞/g, '\\infty '], [/π/g, '\\pi '], [/α/g, '\\alpha '], [/β/g, '\\beta '], [/γ/g, '\\gamma '], [/θ/g, '\\theta '],
  [/λ/g, '\\lambda '], [/μ/g, '\\mu '], [/φ/g, '\\phi '], [/ω/g, '\\omega '], [/\\[ij]math(?![a-zA-Z])/g, 'i'],
  // The imaginary unit and Euler's number set upright (`3+4\mathrm{i}`) are the letters, not a unit to drop.
  [/\\(?:mathrm|text|textrm|operatorname)\s*\{\s*([ie])\s*\}/g, '$1'], [/√/g, '\\sqrt'], [/≤/g, '\\leq '], [/≥/g, '\\geq '], [/≠/g, '\\ne '],
  [/[−–]/g, '-'], [/×/g, '\\times '], [/[·⋅]/g, '\\cdot '], [/∪/g, '\\cup '], [/∩/g, '\\cap '], [/∅/g, '\\emptyset '],
  [/°/g, ''], [/\\varnothing(?![a-zA-Z])/g, '\\emptyset'], [/\\(?:lbrace|lbrack)(?![a-zA-Z])/g, '\\{'],
  [/\\(?:rbrace|rbrack)(?![a-zA-Z])/g, '\\}'], [/\\langle(?![a-zA-Z])/g, '('], [/\\rangle(?![a-zA-Z])/g, ')'],
  [/\\[lr]?vert(?![a-zA-Z])/g, '|'], [/\\infin(?![a-zA-Z])/g, '\\infty'], [/\\dots[bcm]?|\\ldots|\\cdots/g, '\\ldots'],
  [/>=/g, '\\geq '], [/<=/g, '\\leq '], [/!=/g, '\\ne '], [/\\(?:leqslant|leq|le)(?![a-zA-Z])/g, '\\leq '],
  [/\\(?:geqslant|geq|ge)(?![a-zA-Z])/g, '\\geq '], [/\\(?:neq|ne)(?![a-zA-Z])/g, '\\ne '], [/\\lt(?![a-zA-Z])/g, '<'],
  [/\\gt(?![a-zA-Z])/g, '>'], [/\\(?:approx|simeq|doteq)(?![a-zA-Z])/g, '\\approx '], [/\\equiv(?![a-zA-Z])/g, '='], [/\\colon(?![a-zA-Z])/g, ':'],
];

/** Bare function names a model may write without a backslash (`sin x`), given one for the parser. */
const FUNCTION_WORDS = /(?<![\\a-zA-Z])(sin|cos|tan|cot|sec|csc|arcsin|arccos|arctan|sinh|cosh|tanh|log|ln|exp|sqrt|pi)(?![a-zA-Z])/g;

/** Unwrap or drop `\text{}`-like macros: whole answer → its content; trailing units → dropped; `and`/`or` → `,`. */
function handleText(s: string): string {
  const whole = new RegExp(`^\\\\(?:${TEXT_MACROS.join('|')})\\s*\\{`).exec(s);
  if (whole) {
    const a = readArg(s, whole[0].length - 1);
    if (a && a.end === s.length) return a.arg.trim();
  }
  // Drop trailing unit text while something numeric stays in front of it (`5.4 \text{ cents}`, `15\mbox{ cm}^2`).
  const trailing = new RegExp(`\\\\(?:${TEXT_MACROS.join('|')})\\s*\\{[^{}]*\\}(?:\\s*\\^\\s*\\{?[23]\\}?)?\\s*\\.?$`);
  for (let guard = 0; guard < 4; guard++) {
    const m = trailing.exec(s);
    if (!m || m.index === 0) break;
    const head = s.slice(0, m.index).trim();
    if (!/[\d}]/.test(head)) break;
    s = head;
  }
  return replaceMacro(s, TEXT_MACROS, (arg) => {
    const t = arg.trim();
    return /^(?:and|or|,)$/i.test(t) ? ',' : t === '' ? ' ' : ` ${t} `;
  });
}

/** `\frac12` → `\frac{1}{2}`, `\frac9{19}` → `\frac{9}{19}`; `\sqrt2` → `\sqrt{2}`. Keeps `\sqrt[3]{x}`. */
function braceArgs(s: string): string {
  let out = '', i = 0;
  const re = /\\(frac|binom|sqrt)(?![a-zA-Z])/g;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    const nargs = m[1] === 'sqrt' ? 1 : 2;
    let pos = m.index + m[0].length;
    let head = `\\${m[1]}`;
    if (m[1] === 'sqrt' && s[pos] === '[') {
      const close = s.indexOf(']', pos);
      if (close < 0) continue;
      head += s.slice(pos, close + 1);
      pos = close + 1;
    }
    const args: string[] = [];
    for (let k = 0; k < nargs; k++) {
      const a = readArg(s, pos);
      if (!a) break;
      args.push(a.arg);
      pos = a.end;
    }
    if (args.length !== nargs) break; // an unclosed group swallows the rest: nothing after it to fix
    out += s.slice(i, m.index) + head + args.map((a) => `{${braceArgs(a)}}`).join('');
    i = pos;
    re.lastIndex = pos;
  }
  return out + s.slice(i);
}

/**
 * Remove thousands separators. `,\!` and `{,}` always mark one (`10,\!080`, `1{,}000`). A plain comma
 * only when the whole answer (or the right side of `=`) is one grouped number (`5,000`), because
 * `[1,100]` and `(12,102)` are intervals, not 1100 and 12102. A leading `0,` group is never one.
 */
function dropThousands(s: string): string {
  s = s.replace(/(\d)(?:,\\!\s*|\{,\}\s*)(?=\d{3})/g, '$1');
  s = s.replace(/(^|=\s*)(-?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?)$/, (_m, pre: string, num: string) => pre + num.replace(/,/g, ''));
  if (/^-?[1-9]\d{0,2}(?: \d{3})+(?:\.\d+)?$/.test(s)) s = s.replace(/ /g, '');
  return s;
}

/** Canonical whitespace: none, except one space where a command or word meets a letter (`\cot x`, `north east`). */
function squeezeSpaces(s: string): string {
  return s.replace(/\s+/g, ' ').replace(/ (?![a-zA-Z])|(?<![a-zA-Z]) /g, '').trim();
}

/** Number words a model may answer with (`five`), read only when they are the whole answer. */
const NUMBER_WORDS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11,
  twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19,
  twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90, hundred: 100,
};

/** Whole answers in words that name a set. */
const WHOLE_ANSWER_WORDS: [RegExp, string][] = [
  [/^(?:all ?real ?numbers|all ?reals|every ?real ?number|\\mathbb\{?R\}?)$/i, '\\mathbb{R}'],
  [/^(?:no ?(?:real ?)?solutions?|none|empty ?set|the ?empty ?set|\\\{\\\})$/i, '\\emptyset'],
];

/**
 * Normalise an extracted answer string. Total: any input gives a (possibly empty) string.
 * Order matters: delimiters and text go first so the rules below see bare mathematics.
 */
export function normalizeAnswer(raw: string): Normalized {
  // One space for any run of whitespace first: later patterns with `\s+` then cannot backtrack over long runs.
  let s = raw.replace(/\s+/g, ' ').trim().replace(DOUBLED_COMMAND_RE, '\\');
  s = s.replace(/\\\$/g, ' ').replace(/\$/g, ' ');
  s = s.replace(/^\\\[|\\\]$/g, '').replace(/^\\\(|\\\)$/g, '');
  s = replaceMacro(s, ['boxed', 'fbox'], (a) => a);
  s = s.replace(/\\(?:displaystyle|textstyle|scriptstyle)(?![a-zA-Z])/g, '');
  s = s.replace(/\\[dtc]frac(?![a-zA-Z])/g, '\\frac').replace(/\\[dt]binom(?![a-zA-Z])/g, '\\binom');
  s = s.replace(/\\(?:left|right)(?![a-zA-Z])\s*\.?|\\[Bb]igg?[lr]?(?![a-zA-Z])/g, '');
  s = s.replace(/(\d),\\!\s*(?=\d{3})/g, '$1');
  s = s.replace(/(?<!\\)\\!/g, '').replace(/(?<!\\)\\[,;: ]|~|\\q?quad/g, ' ').replace(/\\hspace\*?\{[^}]*\}/g, ' ');
  for (const [re, to] of SYMBOLS) s = s.replace(re, to);
  s = s.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![a-zA-Z])|\\circ\s*$|\\degree(?![a-zA-Z])/g, '');
  s = replaceMacro(s, FONT_MACROS, (a) => a);
  s = handleText(s).trim();
  let percent = false;
  s = s.replace(/\\?%|\s*\bpercent(?:age)?\b|\s*\bpct\b/gi, () => { percent = true; return ''; });
  s = s.replace(/^(?:\\text\{\s*\}|[:=])\s*/, '');
  for (let guard = 0; guard < 3 && TRAILING_UNIT_RE.test(s) && /\d/.test(s.replace(TRAILING_UNIT_RE, '')); guard++) {
    s = s.replace(TRAILING_UNIT_RE, '').trim();
  }
  s = s.replace(/\b(?:infinity|inf)\b/gi, '\\infty ').replace(FUNCTION_WORDS, '\\$1 ');
  // "and"/"or" between answers, also glued to brackets (`(11,7)or(7,11)`).
  s = s.replace(/\s+(?:and|or)\s+|(?<=[)\]}])\s*(?:and|or)\s*(?=[([{\\])/gi, ', ');
  s = dropThousands(s.trim());
  s = braceArgs(s);
  s = s.replace(/(^|[^\d}])\.(\d)/g, '$10.$2');
  // Trailing zeros of decimals (2.50 → 2.5, 1000.0 → 1000); one greedy match per number, no backtracking.
  s = s.replace(/(\d)\.(\d*)(?![\d]|\\overline)/g, (_m, d: string, frac: string) => {
    let end = frac.length;
    while (end > 0 && frac[end - 1] === '0') end--; // (a loop: /0+$/ is quadratic on long zero runs)
    const f = frac.slice(0, end);
    return f === '' ? d : `${d}.${f}`;
  });
  s = squeezeSpaces(s);
  const word = NUMBER_WORDS[s.toLowerCase()];
  if (word !== undefined) s = String(word);
  for (const [re, to] of WHOLE_ANSWER_WORDS) if (re.test(s)) s = to;
  // Trailing sentence punctuation goes; an ellipsis stays (`1, 2, 3, \ldots` is not the list 1, 2, 3).
  s = s.replace(/\.{3}$/, '\\ldots').replace(/(?:\\\\|[,;]|(?<!\.)\.)+$/, '').trim();
  return { text: s, percent };
}
