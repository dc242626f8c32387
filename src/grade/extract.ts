// Final-answer extraction from a model response, in the order the TTRL reference uses (PRIME-RL/TTRL,
// `extract_answer`): the last `\boxed{...}`, else "the answer is X" / "Answer: X", else the last number.
// Two additions, both for responses the reference handles badly:
// - a response that is itself a bare answer (`\frac{1}{2}`, `x = 5`, `(1, 2]`) is returned whole, where
//   "last number" would return `2`;
// - boxes that sit next to each other (`\boxed{-2} and \boxed{1}`) are joined into one list answer.
// Multiple choice (GPQA) returns one letter.
import { readArg } from './latex.js';

export interface ExtractOptions {
  /** Fall back to the last number in the response when nothing better is found (reference: yes). */
  lastNumberFallback?: boolean;
  /** Multiple choice: return a single letter from `choiceLetters`. */
  choices?: boolean;
  /** Allowed letters for multiple choice; GPQA has four options. */
  choiceLetters?: string;
}

const BOX_RE = /\\(?:boxed|fbox)(?![a-zA-Z])/g;

/**
 * Every `\boxed{...}` / `\fbox{...}` / `\boxed 5` in order, as [start, end, content]. A box that never
 * closes (a truncated response) ends the scan and holds the rest of the text.
 */
export function findBoxes(text: string): { start: number; end: number; content: string }[] {
  const out: { start: number; end: number; content: string }[] = [];
  BOX_RE.lastIndex = 0;
  for (let m = BOX_RE.exec(text); m; m = BOX_RE.exec(text)) {
    const a = readArg(text, m.index + m[0].length);
    if (!a) {
      // A box cut off by the length limit: its content runs to the end of the text.
      const open = text.indexOf('{', m.index + m[0].length);
      if (open >= 0 && text.slice(m.index + m[0].length, open).trim() === '') {
        out.push({ start: m.index, end: text.length, content: text.slice(open + 1).trim() });
      }
      break;
    }
    out.push({ start: m.index, end: a.end, content: a.arg.trim() });
    BOX_RE.lastIndex = a.end;
  }
  return out;
}

/** What may stand between two boxes that together form one answer: commas, "and"/"or", math delimiters. */
const BOX_JOINER = /^(?:[\s,;$]|\\[,;!:]|\\q?quad|\\text\{\s*(?:and|or|,)\s*\}|\\[()[\]]|and|or)*$/;

/**
 * Do two boxes separated by `gap` belong to one answer? Yes when only connectors separate them
 * (`\boxed{-2} and \boxed{1}`), when the gap is a few symbols and no words (`\boxed{1} ++ \boxed{2}`), or
 * when it says "and"/"or" among at most three other words (`\boxed{3} for part (a) and \boxed{1}`,
 * `\boxed{1} papers and \boxed{2} bins`). Prose without a connector ("then after more work we find")
 * separates a first attempt from the final answer.
 */
function joinsBoxes(gap: string): boolean {
  if (BOX_JOINER.test(gap)) return true;
  if (gap.length > 80) return false;
  const words = gap.replace(/\\[a-zA-Z]+/g, ' ').match(/[a-zA-Z]+/g) ?? [];
  if (words.length === 0) return gap.trim().length <= 12;
  const connectors = words.filter((w) => /^(?:and|or)$/i.test(w)).length;
  return connectors > 0 && words.length - connectors <= 3;
}

/** The last box, joined with the boxes right before it that belong to the same answer (see joinsBoxes). */
export function lastBoxed(text: string): string | null {
  const boxes = findBoxes(text).filter((b) => b.content !== '');
  if (boxes.length === 0) return null;
  let first = boxes.length - 1;
  while (first > 0 && joinsBoxes(text.slice(boxes[first - 1]!.end, boxes[first]!.start))) first--;
  // The same box repeated (`\boxed{7} ... so \boxed{7}`) is one answer, not a list of two.
  return [...new Set(boxes.slice(first).map((b) => b.content))].join(', ');
}

/** Content of the first math span ($..$, $$..$$, \(..\), \[..\]) in s, or null. */
function firstMath(s: string): string | null {
  const m = /\$\$([\s\S]+?)\$\$|\$([^$]+?)\$|\\\(([\s\S]+?)\\\)|\\\[([\s\S]+?)\\\]/.exec(s);
  if (!m) return null;
  return (m[1] ?? m[2] ?? m[3] ?? m[4] ?? '').trim();
}

/** Cut a phrase at the end of its sentence: a newline, or a period that is not a decimal point. */
function sentence(s: string): string {
  let end = s.length;
  const nl = s.indexOf('\n');
  if (nl >= 0) end = nl;
  let depth = 0; // do not cut inside $...$ (the period in `$2.5$` or `$x.$`)
  for (let i = 0; i < end; i++) {
    if (s[i] === '$') depth ^= 1;
    else if (s[i] === '.' && depth === 0 && !/\d/.test(s[i + 1] ?? '')) { end = i; break; }
  }
  return s.slice(0, end);
}

const ANSWER_IS_RE = /(?:final\s+answer|answer)\s*(?:\*\*)?\s*(?:is|:|=)\s*(?:\*\*)?\s*(?:[:=]\s*)?/gi;

/** What follows "the answer is" when the sentence judges an answer instead of stating one. */
const VERDICT_RE = /^(?:not\s+|indeed\s+|also\s+|still\s+|definitely\s+|probably\s+|likely\s+)*(?:correct|incorrect|right|wrong|valid|invalid|consistent|confirmed|verified|reasonable|plausible|as follows|below|above|the same|unchanged|accurate)\b/i;

/** "The (final) answer is X" / "Answer: X": the last such phrase, its math span if it has one. */
export function answerIs(text: string): string | null {
  let last: RegExpExecArray | null = null;
  ANSWER_IS_RE.lastIndex = 0;
  // The last phrase that states an answer: "I think this answer is correct" states none.
  for (let m = ANSWER_IS_RE.exec(text); m; m = ANSWER_IS_RE.exec(text)) {
    if (!VERDICT_RE.test(text.slice(m.index + m[0].length, m.index + m[0].length + 40).replace(/^[\s*$]+/, ''))) last = m;
  }
  if (!last) return null;
  let rest = sentence(text.slice(last.index + last[0].length)).trim();
  // "Final Answer: The largest $n$ is 34." → what follows the last " is ".
  if (/\sis\s/.test(rest)) rest = rest.slice(rest.lastIndexOf(' is ') + 4);
  const math = firstMath(rest);
  if (math !== null) rest = math;
  rest = rest.replace(/^\*+|\*+$/g, '').replace(/[\s.,;:!]+$/, '').trim();
  // "Final Answer: Jane started growing Sphere 3 hours ago" → the number in the phrase.
  if (math === null && !looksLikeBareAnswer(rest)) rest = lastNumber(rest) ?? rest;
  return rest === '' ? null : rest;
}

const SECTION_RE = /^[ \t]*#{1,6}[ \t]*(?:the[ \t]+)?(?:final[ \t]+)?answer[ \t]*(?::[ \t]*(.*))?$/gim;

/**
 * The answer stated in a section headed `# Answer` (how PRM800K-style solutions end: `# Answer\n\n42`):
 * the first paragraph after the last such heading (or the rest of the heading line), its box if it has
 * one, its "answer is" phrase if it is a sentence, else the paragraph without math delimiters.
 */
export function answerSection(text: string): string | null {
  let last: RegExpExecArray | null = null;
  SECTION_RE.lastIndex = 0;
  for (let m = SECTION_RE.exec(text); m; m = SECTION_RE.exec(text)) last = m;
  if (!last) return null;
  const after = ((last[1] ?? '').trim() !== '' ? last[1]! : text.slice(last.index + last[0].length)).trim();
  const para = after.split(/\n\s*\n/)[0]!.trim();
  if (para === '') return null;
  const boxed = lastBoxed(para);
  if (boxed !== null) return boxed;
  const whole = stripMathDelimiters(para.replace(/[.\s]+$/, ''));
  if (looksLikeBareAnswer(whole) || !/\s/.test(whole)) return whole === '' ? null : whole;
  return answerIs(para) ?? (lastMath(para) ?? whole);
}

/** Words that mark prose; a string without them (and short) is taken as a bare answer. */
const PROSE_RE = /\b(?:is|are|was|the|so|we|thus|therefore|hence|then|answer|because|since|get|got|find|which|that|this|let|be|of|to|it|its|think|guess|result|equals|gives|total|value)\b/i;

/**
 * A response that is just an answer: short, one line, no prose words outside `\text{}`, at most two
 * words, and no label before a math span ("Special matrix: $...$" is prose around an answer).
 */
export function looksLikeBareAnswer(text: string): boolean {
  const s = text.trim();
  if (s === '' || s.length > 200 || s.includes('\n')) return false;
  const outsideText = s.replace(/\\(?:text|mbox|textbf|mathrm)\{[^}]*\}/g, ' ');
  if (PROSE_RE.test(outsideText) || /\bI\b/.test(outsideText)) return false; // "I", not the imaginary unit i
  const outsideMath = outsideText.replace(/\$[^$]*\$/g, ' ');
  if (outsideMath !== outsideText && outsideMath.includes(':')) return false;
  return (outsideMath.match(/(?<![\\a-zA-Z])[a-zA-Z]{2,}/g) ?? []).length <= 2;
}

/** Strip one pair of surrounding math delimiters: `$x$`, `$$x$$`, `\(x\)`, `\[x\]`. */
export function stripMathDelimiters(s: string): string {
  let t = s.trim();
  const pairs: [string, string][] = [['$$', '$$'], ['$', '$'], ['\\(', '\\)'], ['\\[', '\\]']];
  for (const [a, b] of pairs) {
    if (t.length >= a.length + b.length && t.startsWith(a) && t.endsWith(b)) {
      const inner = t.slice(a.length, t.length - b.length);
      if (a === '$' && inner.includes('$')) continue; // `$a$ and $b$` is two spans, not one
      return inner.trim();
    }
  }
  return t;
}

// A number as written in text: `\frac{3}{4}`, `\frac12`, `2\sqrt{3}`, `\frac{\sqrt{3}}{2}`, `3+4i`, `-3/4`,
// `1,000.5`, `.5`, `-2`. Longer forms first, so that `\frac{3}{4}` is not read as the `4` at its end, nor
// `2\sqrt{3}` as `3`, nor `3 + 4i` as `4`. Digits inside a word (`H2O`, `x_2`, `AB12`) are not a number.
const GROUP = String.raw`(?:\{(?:[^{}]|\{[^{}]{0,20}\}){1,40}\}|\d)`;
const REAL = String.raw`(?:\d*\.?\d+)?\\sqrt${GROUP}|\\[dtc]?frac${GROUP}${GROUP}|\d+\s*\/\s*\d+(?!\d|\.\d)|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d*\.?\d+`;
const NUMBER_RE = new RegExp(String.raw`(?<![a-zA-Z_\d.])-?(?:${REAL})(?:\s*[+-]\s*(?:${REAL})?\s*i(?![a-zA-Z]))?`, 'g');

/** The last number in the text (see NUMBER_RE), trailing sentence period excluded; null if none. */
export function lastNumber(text: string): string | null {
  const all = text.match(NUMBER_RE);
  return all && all.length > 0 ? all[all.length - 1]!.replace(/\s+/g, '') : null;
}

/**
 * The last math span (`$..$`, `$$..$$`, `\(..\)`, `\[..\]`) when nothing but prose follows it, so
 * "Therefore $x \geq 5$ is the solution." gives `x \geq 5` where the last number would give `5`; spans
 * right before it that only connectors separate join it ("the roots are $-2$ and $1$." gives `-2, 1`).
 * Null when a number follows the span (then the last number is the better guess) or there is none.
 */
export function lastMath(text: string): string | null {
  const re = /\$\$([\s\S]+?)\$\$|\$([^$]+?)\$|\\\(([\s\S]+?)\\\)|\\\[([\s\S]+?)\\\]/g;
  const spans: RegExpExecArray[] = [];
  for (let m = re.exec(text); m; m = re.exec(text)) spans.push(m);
  if (spans.length === 0) return null;
  const last = spans[spans.length - 1]!;
  if (/\d/.test(text.slice(last.index + last[0].length))) return null;
  const inner = (m: RegExpExecArray): string => (m[1] ?? m[2] ?? m[3] ?? m[4] ?? '').trim().replace(/[.,;]$/, '').trim();
  let first = spans.length - 1;
  const joins = (a: RegExpExecArray, b: RegExpExecArray): boolean => {
    const gap = text.slice(a.index + a[0].length, b.index);
    return SPAN_JOINER.test(gap) || (gap.trim() === '' && /,\s*$/.test(a[0].slice(0, -1))); // `$1,$ $2,$ and $4$`
  };
  while (first > 0 && joins(spans[first - 1]!, spans[first]!)) first--;
  const parts = spans.slice(first).map(inner).filter((x) => x !== '');
  return parts.length === 0 ? null : parts.join(', ');
}

/** What may stand between math spans of one answer: commas and "and"/"or" only. */
const SPAN_JOINER = /^\s*(?:,\s*(?:and\s+|or\s+)?|and\s+|or\s+)$/;

/**
 * The final answer of a response, or null when none is found.
 * Order: `# Answer` section → last box (adjacent boxes joined) → "answer is" phrase → whole response if it is a bare answer →
 * then, unless lastNumberFallback is false, the last math span if only prose follows it, else the last number. With `choices`, a letter (see extractChoice).
 */
export function extractAnswer(text: string, opts: ExtractOptions = {}): string | null {
  if (opts.choices) return extractChoice(text, opts.choiceLetters);
  return withDollarSigns(text, (masked) => answerOf(masked, opts));
}

function answerOf(response: string, opts: ExtractOptions): string | null {
  const section = answerSection(response);
  if (section !== null) return section;
  const boxed = lastBoxed(response);
  if (boxed !== null) return boxed;
  const said = answerIs(response);
  if (said !== null) return said;
  const whole = stripMathDelimiters(response);
  if (looksLikeBareAnswer(whole)) return whole;
  if (opts.lastNumberFallback === false) return null;
  return lastMath(response) ?? lastNumber(response);
}

/** A money sign `\$` that no math-span pattern may take for a delimiter (`$\$36$`). */
const DOLLAR = '\uE000';

/** Run an extraction with every `\$` masked, and put them back in what it returns. */
function withDollarSigns(text: string, fn: (masked: string) => string | null): string | null {
  if (!text.includes('\\$')) return fn(text);
  const r = fn(text.replace(/\\\$/g, DOLLAR));
  return r === null ? null : r.replaceAll(DOLLAR, '\\$');
}

/**
 * A gold answer as datasets store it: usually the bare answer (`\frac{14}{3}`, `$28\%$`), sometimes a
 * whole worked solution with a box. Never falls back to the last number (a gold is trusted as written).
 */
export function extractGold(text: string, opts: { choices?: boolean; choiceLetters?: string } = {}): string | null {
  if (opts.choices) return extractChoice(text, opts.choiceLetters) ?? (text.trim() || null);
  return withDollarSigns(text, goldOf);
}

function goldOf(gold: string): string | null {
  const section = answerSection(gold);
  if (section !== null) return section;
  const boxed = lastBoxed(gold);
  if (boxed !== null) return boxed;
  const s = stripMathDelimiters(gold);
  if (looksLikeBareAnswer(s) || !/\s/.test(s)) return s === '' ? null : s;
  return answerIs(gold) ?? (s === '' ? null : s);
}

/** One letter from a short answer string: `C`, `(C)`, `\text{C}`, `C)`, `C. 42`, `**C**`. */
function letterOf(s: string, letters: string): string | null {
  const t = s.replace(/\\(?:text|textbf|mathrm|mathbf)\{([^}]*)\}/g, '$1').replace(/[*$\s]/g, '');
  const m = new RegExp(`^\\(?([${letters}])(?:\\)|\\.|:|$)`).exec(t);
  return m ? m[1]! : null;
}

/**
 * Multiple-choice letter: from the last box, else "answer is (C)" / "Answer: C", else the last "(C)",
 * else the last standalone capital letter (the reference's GPQA rule). Letters default to A-D.
 */
export function extractChoice(response: string, letters = 'ABCD'): string | null {
  const boxes = findBoxes(response);
  for (let i = boxes.length - 1; i >= 0; i--) {
    const l = letterOf(boxes[i]!.content, letters);
    if (l) return l;
  }
  const said = new RegExp(`answer\\s*(?:is|:)?\\s*[:\\-]?\\s*(?:option\\s*)?\\**\\s*\\$?(?:\\\\text\\{)?\\(?([${letters}])\\b`, 'gi');
  let last: string | null = null;
  for (let m = said.exec(response); m; m = said.exec(response)) {
    if (m[1] === m[1]!.toUpperCase()) last = m[1]!;
  }
  if (last) return last;
  const paren = response.match(new RegExp(`\\(([${letters}])\\)`, 'g'));
  if (paren) return paren[paren.length - 1]![1]!;
  const bare = response.match(new RegExp(`\\b[${letters}]\\b`, 'g'));
  return bare ? bare[bare.length - 1]! : null;
}
