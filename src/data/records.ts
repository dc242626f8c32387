// Reading raw records from a dataset file: a JSON array, JSON Lines, or Parquet (via hyparquet, a
// dependency-free pure-JS reader that handles the common codecs: uncompressed and snappy built in).
// Each record carries where it came from, so field errors can name the line or row.
import fs from 'node:fs';
import path from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { TtrlError } from '../util/errors.js';

export type DataFormat = 'auto' | 'json' | 'jsonl' | 'parquet';

export interface RawRecord {
  value: unknown;
  /** "record 3" (JSON, 0-based index), "line 4" (JSONL, 1-based) or "row 3" (Parquet, 0-based). */
  where: string;
}

const EXTENSIONS: Record<string, Exclude<DataFormat, 'auto'>> = {
  '.json': 'json', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.parquet': 'parquet',
};

/** The format of `file`: `format` unless 'auto', else from the extension. */
export function resolveFormat(file: string, format: DataFormat = 'auto'): Exclude<DataFormat, 'auto'> {
  if (format !== 'auto') return format;
  const f = EXTENSIONS[path.extname(file).toLowerCase()];
  if (!f) throw new TtrlError(`${file}: cannot tell the format from the extension (.json, .jsonl, .parquet); set --data.format`);
  return f;
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TtrlError(code === 'ENOENT' ? `${file}: no such file; check --data.path` : `${file}: cannot read (${code ?? (e as Error).message})`);
  }
}

function readJson(file: string): RawRecord[] {
  let data: unknown;
  try { data = JSON.parse(readText(file)); } catch (e) {
    if (e instanceof TtrlError) throw e;
    throw new TtrlError(`${file}: malformed JSON (${(e as Error).message}); for one record per line use a .jsonl file`);
  }
  if (!Array.isArray(data)) throw new TtrlError(`${file}: expected a JSON array of records, got ${data === null ? 'null' : typeof data}`);
  return data.map((value, i) => ({ value, where: `record ${i}` }));
}

function readJsonl(file: string): RawRecord[] {
  const out: RawRecord[] = [];
  readText(file).split('\n').forEach((line, i) => {
    if (line.trim() === '') return; // blank lines, including the final newline
    try {
      out.push({ value: JSON.parse(line), where: `line ${i + 1}` });
    } catch (e) {
      throw new TtrlError(`${file}:${i + 1}: malformed JSON line (${(e as Error).message})`);
    }
  });
  return out;
}

async function readParquet(file: string): Promise<RawRecord[]> {
  if (!fs.existsSync(file)) throw new TtrlError(`${file}: no such file; check --data.path`);
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: await asyncBufferFromFile(file) });
  } catch (e) {
    throw new TtrlError(`${file}: cannot read as Parquet (${(e as Error).message})`);
  }
  return rows.map((value, i) => ({ value, where: `row ${i}` }));
}

/** All records of `file`, in file order. */
export async function readRecords(file: string, format: DataFormat = 'auto'): Promise<RawRecord[]> {
  const f = resolveFormat(file, format);
  if (f === 'json') return readJson(file);
  if (f === 'jsonl') return readJsonl(file);
  return readParquet(file);
}
