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

/** Every `\boxed{...}` / `\fbox{...}` / `\boxed 5` in order, as [start, end, content]. Unclosed ones are skipped. */
export function findBoxes(text: string): { start: number; end: number; content: string }[] {
  const out: { start: number; end: number; content: string }[] = [];
  BOX_RE.lastIndex = 0;
  for (let m = BOX_RE.exec(text); m; m = BOX_RE.exec(text)) {
    const a = readArg(text, m.index + m[0].length);
    if (!a) continue;
    out.push({ start: m.index, end: a.end, content: a.arg.trim() });
    BOX_RE.lastIndex = a.end;
  }
  return out;
}

/** What may stand between two boxes that together form one answer: commas, "and"/"or", math delimiters. */
const BOX_JOINER = /^(?:[\s,;$]|\\[,;!:]|\\q?quad|\\text\{\s*(?:and|or|,)\s*\}|\\\(|\\\)|and|or)*$/;

/** The last box, joined with the boxes right before it when only connectors separate them. */
export function lastBoxed(text: string): string | null {
  const boxes = findBoxes(text).filter((b) => b.content !== '');
  if (boxes.length === 0) return null;
  let first = boxes.length - 1;
  while (first > 0 && BOX_JOINER.test(text.slice(boxes[first - 1]!.end, boxes[first]!.start))) first--;
  return boxes.slice(first).map((b) => b.content).join(', ');
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

/** "The (final) answer is X" / "Answer: X": the last such phrase, its math span if it has one. */
export function answerIs(text: string): string | null {
  let last: RegExpExecArray | null = null;
  ANSWER_IS_RE.lastIndex = 0;
  for (let m = ANSWER_IS_RE.exec(text); m; m = ANSWER_IS_RE.exec(text)) last = m;
  if (!last) return null;
  let rest = sentence(text.slice(last.index + last[0].length)).trim();
  const math = firstMath(rest);
  if (math !== null) rest = math;
  // "Final Answer: The largest $n$ is 34." → what follows the last " is ".
  else if (/\bis\s/.test(rest)) rest = rest.slice(rest.lastIndexOf(' is ') + 4);
  rest = rest.replace(/^\*+|\*+$/g, '').replace(/[\s.,;:!]+$/, '').trim();
  return rest === '' ? null : rest;
}

/** Words that mark prose; a string without them (and short) is taken as a bare answer. */
const PROSE_RE = /\b(?:is|are|was|the|so|we|thus|therefore|hence|then|answer|because|since|get|find|which|that|this|let|be|of|to)\b/i;

/** A response that is just an answer: short, one line, no prose words outside `\text{}`. */
export function looksLikeBareAnswer(text: string): boolean {
  const s = text.trim();
  if (s === '' || s.length > 200 || s.includes('\n')) return false;
  const outsideText = s.replace(/\\(?:text|mbox|textbf|mathrm)\{[^}]*\}/g, ' ');
  return !PROSE_RE.test(outsideText);
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

// A number as written in text: `\frac{3}{4}`, `-3/4`, `1,000.5`, `.5`, `-2`. Fractions first so that
// `\frac{3}{4}` is not read as the `4` at its end.
const NUMBER_RE = /-?\\[dtc]?frac\{-?\d+\}\{\d+\}|-?\d+\s*\/\s*\d+(?![\d.])|-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d*\.?\d+/g;

/** The last number in the text (see NUMBER_RE), trailing sentence period excluded; null if none. */
export function lastNumber(text: string): string | null {
  const all = text.match(NUMBER_RE);
  return all && all.length > 0 ? all[all.length - 1]!.replace(/\s+/g, '') : null;
}

/**
 * The final answer of a response, or null when none is found.
 * Order: last box (adjacent boxes joined) → "answer is" phrase → whole response if it is a bare answer →
 * last number (unless lastNumberFallback is false). With `choices`, a letter (see extractChoice).
 */
export function extractAnswer(response: string, opts: ExtractOptions = {}): string | null {
  if (opts.choices) return extractChoice(response, opts.choiceLetters);
  const boxed = lastBoxed(response);
  if (boxed !== null) return boxed;
  const said = answerIs(response);
  if (said !== null) return said;
  const whole = stripMathDelimiters(response);
  if (looksLikeBareAnswer(whole)) return whole;
  if (opts.lastNumberFallback === false) return null;
  return lastNumber(response);
}

/**
 * A gold answer as datasets store it: usually the bare answer (`\frac{14}{3}`, `$28\%$`), sometimes a
 * whole worked solution with a box. Never falls back to the last number (a gold is trusted as written).
 */
export function extractGold(gold: string, opts: { choices?: boolean; choiceLetters?: string } = {}): string | null {
  if (opts.choices) return extractChoice(gold, opts.choiceLetters) ?? (gold.trim() || null);
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
