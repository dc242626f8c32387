// JSON Lines input with errors that name the file and line.
import fs from 'node:fs';
import { TtrlError } from './errors.js';

export interface JsonlLine { line: number; value: unknown }

/** Parse every non-empty line; a malformed line throws naming file:line (or is reported via onError). */
export function readJsonl(file: string, onError?: (line: number, message: string) => void): JsonlLine[] {
  if (!fs.existsSync(file)) throw new TtrlError(`${file}: file not found`);
  const out: JsonlLine[] = [];
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    try {
      out.push({ line: i + 1, value: JSON.parse(text) });
    } catch (e) {
      const msg = `${file}:${i + 1}: malformed JSON (${(e as Error).message})`;
      if (onError) onError(i + 1, msg); else throw new TtrlError(msg);
    }
  });
  return out;
}

/** The `ids` field of a JSONL record: a non-empty array of non-negative integers below vocabSize. */
export function idsField(v: unknown, where: string, vocabSize: number, key = 'ids'): number[] {
  const ids = (v as Record<string, unknown> | null)?.[key];
  if (!Array.isArray(ids) || ids.length === 0) throw new TtrlError(`${where}: field "${key}" must be a non-empty array of token ids`);
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new TtrlError(`${where}: token id ${JSON.stringify(id)} in "${key}" is not an integer in [0, ${vocabSize})`);
    }
  }
  return ids as number[];
}
