// GPT-2's byte ↔ printable-character map, used by every byte-level BPE (GPT-2, Qwen2, Llama 3).
// A vocab entry is a string of these characters, one per UTF-8 byte, so that a token's bytes survive
// JSON and never contain whitespace or control characters. Bytes that are already printable Latin-1
// ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves; the other 68 map to U+0100.. in byte order.

function isSelfMapped(b: number): boolean {
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

/** BYTE_TO_CHAR[b] is the vocab character for byte b (length 256). */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const out: string[] = new Array(256);
  let next = 0x100;
  for (let b = 0; b < 256; b++) out[b] = String.fromCharCode(isSelfMapped(b) ? b : next++);
  return out;
})();

/** The inverse of BYTE_TO_CHAR. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** The vocab string of a text: its UTF-8 bytes, each as its map character. */
export function textToByteChars(text: string): string {
  let s = '';
  for (const b of new TextEncoder().encode(text)) s += BYTE_TO_CHAR[b];
  return s;
}

/** The bytes of a vocab string, or null if some character is not a byte character. */
export function byteCharsToBytes(token: string): Uint8Array | null {
  const out = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const b = CHAR_TO_BYTE.get(token[i]);
    if (b === undefined) return null;
    out[i] = b;
  }
  return out;
}
