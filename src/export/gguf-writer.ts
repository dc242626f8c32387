// GGUF v3 file writer (the format llama.cpp, Ollama and node-llama-cpp load). Layout, all little-endian:
//
//   header       "GGUF" magic, u32 version = 3, u64 tensor count, u64 metadata count
//   metadata     per key: string key, u32 value type, value (arrays: u32 item type, u64 count, items)
//   tensor infos per tensor: string name, u32 n_dims, u64 ne[n_dims], u32 ggml type, u64 offset
//   padding      zeros up to a multiple of `general.alignment` (32)
//   tensor data  each tensor at its offset (relative to the start of this section), padded to the alignment
//
// A string is a u64 byte length and UTF-8 bytes, no terminator. Dimensions are listed innermost first:
// ne[0] is the number of columns, so a row-major (out, in) matrix is written with ne = [in, out] and its
// bytes unchanged. Callers here pass the usual row-major shape (outermost first); the writer reverses it.
//
// Tensor data is pulled from each tensor's `chunks()` only when that tensor is written, so a file larger
// than memory can be produced one piece at a time.
import fs from 'node:fs';
import { toF16 } from './f16.js';
import { TtrlError } from '../util/errors.js';

/** GGUF metadata value types (gguf.h `enum gguf_type`). */
export const GGUF_TYPE = {
  u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12,
} as const;

/** ggml tensor types written here (ggml.h `enum ggml_type`). */
export const GGML_TYPE = { f32: 0, f16: 1 } as const;
export type TensorDtype = keyof typeof GGML_TYPE;

export const GGUF_ALIGNMENT = 32;

/** One metadata value. Only the types a llama/qwen2 export needs; add more here when needed. */
export type GgufValue =
  | { type: 'u32' | 'i32' | 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: 'string'; value: readonly string[] }
  | { type: 'array'; itemType: 'i32' | 'u32' | 'f32'; value: ArrayLike<number> };

export const u32 = (value: number): GgufValue => ({ type: 'u32', value });
export const f32 = (value: number): GgufValue => ({ type: 'f32', value });
export const bool = (value: boolean): GgufValue => ({ type: 'bool', value });
export const str = (value: string): GgufValue => ({ type: 'string', value });
export const strArray = (value: readonly string[]): GgufValue => ({ type: 'array', itemType: 'string', value });
export const i32Array = (value: ArrayLike<number>): GgufValue => ({ type: 'array', itemType: 'i32', value });

/** A tensor to write: its row-major shape (outermost first), stored type, and its float32 values in
 *  row-major order, as one or more consecutive pieces (pulled lazily, once). */
export interface GgufTensor {
  name: string;
  shape: readonly number[];
  dtype: TensorDtype;
  chunks(): Iterable<Float32Array>;
}

/** Growable little-endian byte buffer for the header. */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;
  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u32(v: number): void { this.reserve(4); this.buf.writeUInt32LE(v >>> 0, this.length); this.length += 4; }
  i32(v: number): void { this.reserve(4); this.buf.writeInt32LE(v | 0, this.length); this.length += 4; }
  f32(v: number): void { this.reserve(4); this.buf.writeFloatLE(v, this.length); this.length += 4; }
  u8(v: number): void { this.reserve(1); this.buf.writeUInt8(v, this.length); this.length += 1; }
  u64(v: number | bigint): void {
    this.reserve(8); this.buf.writeBigUInt64LE(BigInt(v), this.length); this.length += 8;
  }
  str(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.u64(n);
    this.reserve(n);
    this.buf.write(s, this.length, 'utf8');
    this.length += n;
  }
  zeros(n: number): void { this.reserve(n); this.buf.fill(0, this.length, this.length + n); this.length += n; }
  bytes(): Buffer { return this.buf.subarray(0, this.length); }
}

function writeValue(sink: ByteSink, key: string, v: GgufValue): void {
  sink.u32(GGUF_TYPE[v.type]);
  switch (v.type) {
    case 'u32': checkU32(key, v.value); sink.u32(v.value); break;
    case 'i32': sink.i32(v.value); break;
    case 'f32': sink.f32(v.value); break;
    case 'bool': sink.u8(v.value ? 1 : 0); break;
    case 'string': sink.str(v.value); break;
    case 'array': {
      sink.u32(GGUF_TYPE[v.itemType]);
      sink.u64(v.value.length);
      if (v.itemType === 'string') for (const s of v.value) sink.str(s);
      else {
        const put = v.itemType === 'i32' ? sink.i32.bind(sink) : v.itemType === 'u32' ? sink.u32.bind(sink) : sink.f32.bind(sink);
        for (let i = 0; i < v.value.length; i++) put(v.value[i]!);
      }
      break;
    }
  }
}

function checkU32(key: string, x: number): void {
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new TtrlError(`gguf: metadata ${key} = ${x} is not a u32`);
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;
const bytesPer = (t: TensorDtype): number => (t === 'f32' ? 4 : 2);
const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Serialize the header, metadata and tensor infos; returns the bytes and each tensor's data offset. */
export function encodeHeader(metadata: ReadonlyArray<readonly [string, GgufValue]>, tensors: readonly GgufTensor[]):
  { header: Buffer; offsets: number[]; dataBytes: number } {
  const keys = new Set<string>();
  for (const [k] of metadata) {
    if (keys.has(k)) throw new TtrlError(`gguf: metadata key ${k} given twice`);
    keys.add(k);
  }
  const names = new Set<string>();
  const sink = new ByteSink();
  sink.u32(0x46554747); // "GGUF" read as a little-endian u32
  sink.u32(3);
  sink.u64(tensors.length);
  sink.u64(metadata.length);
  for (const [k, v] of metadata) { sink.str(k); writeValue(sink, k, v); }
  const offsets: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    if (names.has(t.name)) throw new TtrlError(`gguf: tensor ${t.name} given twice`);
    names.add(t.name);
    if (t.shape.length < 1 || t.shape.length > 4 || t.shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new TtrlError(`gguf: tensor ${t.name} has shape [${t.shape}], need 1 to 4 positive dims`);
    }
    sink.str(t.name);
    sink.u32(t.shape.length);
    for (let i = t.shape.length - 1; i >= 0; i--) sink.u64(t.shape[i]!); // innermost (columns) first
    sink.u32(GGML_TYPE[t.dtype]);
    sink.u64(offset);
    offsets.push(offset);
    offset = alignUp(offset + numel(t.shape) * bytesPer(t.dtype), GGUF_ALIGNMENT);
  }
  sink.zeros(alignUp(sink.length, GGUF_ALIGNMENT) - sink.length);
  return { header: sink.bytes(), offsets, dataBytes: offset };
}

/** Encode one chunk of float32 values as the tensor's stored type. */
function encodeChunk(x: Float32Array, dtype: TensorDtype): Uint8Array {
  if (dtype === 'f32') return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  const h = toF16(x);
  return new Uint8Array(h.buffer);
}

/**
 * Write a GGUF v3 file. `metadata` is written in the given order (llama.cpp looks keys up by name).
 * Each tensor's chunks must add up to exactly prod(shape) values; a mismatch throws and leaves no file.
 * Returns the file size in bytes.
 */
export function writeGguf(path: string, metadata: ReadonlyArray<readonly [string, GgufValue]>, tensors: readonly GgufTensor[]): number {
  const { header, offsets, dataBytes } = encodeHeader(metadata, tensors);
  const tmp = `${path}.partial`;
  const fd = fs.openSync(tmp, 'w');
  try {
    let pos = 0;
    const put = (b: Uint8Array): void => {
      let done = 0;
      while (done < b.length) done += fs.writeSync(fd, b, done, b.length - done, pos + done);
      pos += b.length;
    };
    put(header);
    const dataStart = header.length;
    tensors.forEach((t, i) => {
      const start = dataStart + offsets[i]!;
      if (pos < start) put(new Uint8Array(start - pos));
      let n = 0;
      for (const c of t.chunks()) { n += c.length; put(encodeChunk(c, t.dtype)); }
      if (n !== numel(t.shape)) {
        throw new TtrlError(`gguf: tensor ${t.name} shape [${t.shape}] needs ${numel(t.shape)} values, got ${n}`);
      }
    });
    const end = dataStart + dataBytes;
    if (pos < end) put(new Uint8Array(end - pos));
    fs.closeSync(fd);
    fs.renameSync(tmp, path);
    return end;
  } catch (err) {
    try { fs.closeSync(fd); } catch { /* already closed */ }
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
