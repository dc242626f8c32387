// Incremental detokenization: feed sampled ids one at a time, get text deltas to print or scan.
//
// A byte-level token can end in the middle of a UTF-8 character (an emoji is 4 bytes, often 2-3
// tokens), and decoding such a prefix yields U+FFFD. So text is held back while the window's text
// ends in U+FFFD, and released once the character completes. The window scheme is vLLM's
// (detokenize_incrementally): decode ids[prefix:] and subtract decode(ids[prefix:read]), where
// `prefix` trails one emitted step behind. Decoding a short window instead of everything keeps a
// push O(window), and the trailing context also keeps decoders that strip a leading space from the
// first token (SentencePiece's Metaspace) from dropping spaces mid-stream.
//
// Invariant (tested): the concatenation of all push() results and finish() equals
// tok.decode(allIds, same skipSpecial).
import type { Tok } from './load.js';

const REPLACEMENT = '\uFFFD';

export class StreamDecoder {
  private readonly ids: number[] = [];
  /** Start of the window decoded on each push. */
  private prefix = 0;
  /** ids[0:read] have had their text emitted. */
  private read = 0;
  /** decode(ids[prefix:read]). */
  private prefixText = '';

  constructor(private readonly tok: Pick<Tok, 'decode'>, private readonly opts: { skipSpecial?: boolean } = {}) {}

  /** Add one id; returns the text it completes (often '', never a partial character). */
  push(id: number): string {
    this.ids.push(id);
    const text = this.tok.decode(this.ids.slice(this.prefix), this.opts);
    // A trailing U+FFFD may be an unfinished character: wait. (A real U+FFFD in the output or a byte
    // sequence that never completes is only delayed: finish() releases it.)
    if (text.length <= this.prefixText.length || text.endsWith(REPLACEMENT)) return '';
    const delta = text.slice(this.prefixText.length);
    this.prefix = this.read;
    this.read = this.ids.length;
    this.prefixText = this.tok.decode(this.ids.slice(this.prefix, this.read), this.opts);
    return delta;
  }

  /** The text still held back (an unfinished character decodes to U+FFFD here, as decode() would). */
  finish(): string {
    const text = this.tok.decode(this.ids.slice(this.prefix), this.opts);
    const delta = text.slice(this.prefixText.length);
    this.prefix = this.read = this.ids.length;
    this.prefixText = '';
    return delta;
  }

  /** All ids pushed so far. */
  get allIds(): readonly number[] {
    return this.ids;
  }
}
