// The text of a growing completion, for stop strings and streaming, from nothing but decode(ids).
//
// Decoding everything after every token costs O(n²) per completion; instead the window scheme of vLLM's
// detokenize_incrementally decodes ids[prefix:] and subtracts decode(ids[prefix:read]), where `prefix`
// trails one released step behind (the context keeps SentencePiece-style decoders from dropping a leading
// space). Text ending in U+FFFD may be half a UTF-8 character split across byte-level tokens: it is held
// back until the character completes.

/** The one thing the sampler needs from a tokenizer. */
export interface TokenDecoder {
  decode(ids: number[]): string;
}

const REPLACEMENT = '\uFFFD';

export class CompletionText {
  /** Text released so far (a prefix of decode(ids)). */
  text = '';
  private prefix = 0;
  private read = 0;
  private prefixText = '';
  private readonly longestStop: number;

  constructor(private readonly dec: TokenDecoder, private readonly stops: readonly string[]) {
    this.longestStop = Math.max(0, ...stops.map((s) => s.length));
  }

  /**
   * `ids` is the whole completion so far (the caller appends one id between calls). Returns the index in
   * `text` where the earliest stop string that the new text completes starts, or −1.
   */
  push(ids: readonly number[]): number {
    const window = this.dec.decode(ids.slice(this.prefix));
    if (window.length <= this.prefixText.length || window.endsWith(REPLACEMENT)) return -1;
    const before = this.text.length;
    this.text += window.slice(this.prefixText.length);
    this.prefix = this.read;
    this.read = ids.length;
    this.prefixText = this.dec.decode(ids.slice(this.prefix, this.read));
    return findStop(this.text, Math.max(0, before - this.longestStop + 1), this.stops);
  }

  /** How much of `text` can be shown without showing part of a stop string that may still complete. */
  safeLength(): number {
    return Math.max(0, this.text.length - Math.max(0, this.longestStop - 1));
  }
}

/** Earliest start ≥ from of any stop string in text (a match must end past `from`), or −1. */
export function findStop(text: string, from: number, stops: readonly string[]): number {
  let best = -1;
  for (const s of stops) {
    const i = text.indexOf(s, from);
    if (i >= 0 && (best < 0 || i < best)) best = i;
  }
  return best;
}
