// The pre-tokenizer split patterns of Qwen2 and Llama 3, as their tokenizer.json files store them
// (Oniguruma syntax, read by the Rust `tokenizers` crate), and hand translations to JavaScript
// RegExp used by the BPE trainer. The two differ only in digits: Qwen2 splits every \p{N} on its
// own, Llama 3 groups up to three.
//
// Translation traps: JS has no `(?i:...)` group in Node 20, so the contractions list both cases;
// Oniguruma's \s is Unicode White_Space, while JS \s adds U+FEFF and misses U+0085.

export type SplitStyle = 'qwen2' | 'llama3';

/** Oniguruma source, exactly as in Qwen2/Qwen2.5 tokenizer.json (Split pre-tokenizer, Isolated). */
export const QWEN2_SPLIT_PATTERN =
  String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;

/** Oniguruma source, exactly as in Llama 3 tokenizer.json. */
export const LLAMA3_SPLIT_PATTERN =
  String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;

export const SPLIT_PATTERNS: Record<SplitStyle, string> = { qwen2: QWEN2_SPLIT_PATTERN, llama3: LLAMA3_SPLIT_PATTERN };

function jsPattern(digits: string): RegExp {
  const ws = String.raw`\p{White_Space}`;
  const nonWs = String.raw`\P{White_Space}`;
  const contractions = String.raw`'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]`;
  return new RegExp(
    [
      contractions,
      String.raw`[^\r\n\p{L}\p{N}]?\p{L}+`,
      digits,
      String.raw` ?[^${ws}\p{L}\p{N}]+[\r\n]*`,
      String.raw`${ws}*[\r\n]+`,
      String.raw`${ws}+(?!${nonWs})`,
      String.raw`${ws}+`,
    ].join('|'),
    'gu',
  );
}

const JS_PATTERNS: Record<SplitStyle, RegExp> = {
  qwen2: jsPattern(String.raw`\p{N}`),
  llama3: jsPattern(String.raw`\p{N}{1,3}`),
};

/**
 * Split text into pre-tokens as the Split(pattern, behavior Isolated) pre-tokenizer does: matches
 * and the gaps between them (the alternatives end in \s+, so every character is in some match and
 * gaps do not occur for these patterns; they are kept anyway, as the Rust crate would).
 */
export function preTokenize(text: string, style: SplitStyle): string[] {
  const re = JS_PATTERNS[style];
  const out: string[] = [];
  let prev = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > prev) out.push(text.slice(prev, m.index));
    if (m[0].length > 0) out.push(m[0]);
    prev = m.index + m[0].length;
  }
  if (prev < text.length) out.push(text.slice(prev));
  return out;
}
