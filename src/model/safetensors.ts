// safetensors I/O: the one reader/writer of weight files in ttrl. Reads a single model.safetensors or a
// sharded set through model.safetensors.index.json; F32 is read as is, BF16 and F16 are upcast to F32.
// Each tensor is read straight into its own Float32Array (no whole-file buffer), so a 2 GB model costs
// 2 GB of memory, not 4.
import fs from 'node:fs';
import path from 'node:path';
import { TtrlError, check } from '../util/errors.js';

export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

const DTYPE_BYTES: Record<string, number> = { F32: 4, BF16: 2, F16: 2 };

interface HeaderEntry { dtype: string; shape: number[]; data_offsets: [number, number] }

/** Parse and validate the header of one safetensors file. */
export function readHeader(file: string): { entries: Map<string, HeaderEntry>; dataStart: number; fileSize: number } {
  let fd: number;
  try { fd = fs.openSync(file, 'r'); } catch {
    throw new TtrlError(`${file}: cannot open (missing weight file?)`);
  }
  try {
    const fileSize = fs.fstatSync(fd).size;
    check(fileSize >= 8, `${file}: truncated safetensors file (${fileSize} bytes, no header length)`);
    const lenBuf = Buffer.alloc(8);
    fs.readSync(fd, lenBuf, 0, 8, 0);
    const hlen = Number(lenBuf.readBigUInt64LE(0));
    check(hlen > 1 && 8 + hlen <= fileSize && hlen < 100 * 2 ** 20,
      `${file}: corrupt safetensors header (header length ${hlen}, file size ${fileSize})`);
    const hbuf = Buffer.alloc(hlen);
    fs.readSync(fd, hbuf, 0, hlen, 8);
    let header: Record<string, unknown>;
    try { header = JSON.parse(hbuf.toString('utf8')); } catch {
      throw new TtrlError(`${file}: corrupt safetensors header (not valid JSON)`);
    }
    const dataStart = 8 + hlen;
    const entries = new Map<string, HeaderEntry>();
    for (const [name, v] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const e = v as HeaderEntry;
      check(e && typeof e.dtype === 'string' && Array.isArray(e.shape) && Array.isArray(e.data_offsets),
        `${file}: corrupt safetensors header entry for "${name}"`);
      const bytes = DTYPE_BYTES[e.dtype];
      if (bytes === undefined) {
        throw new TtrlError(`${file}: tensor "${name}" has unsupported dtype ${e.dtype} (ttrl reads F32, BF16, F16)`);
      }
      const numel = e.shape.reduce((a, b) => a * b, 1);
      const [s, t] = e.data_offsets;
      check(t - s === numel * bytes && s >= 0 && dataStart + t <= fileSize,
        `${file}: tensor "${name}" data offsets [${s}, ${t}] do not match shape [${e.shape}] ${e.dtype} or file size ${fileSize} (truncated file?)`);
      entries.set(name, e);
    }
    return { entries, dataStart, fileSize };
  } finally {
    fs.closeSync(fd);
  }
}

function upcast(dtype: string, raw: Buffer, numel: number): Float32Array {
  const out = new Float32Array(numel);
  if (dtype === 'F32') {
    new Uint8Array(out.buffer).set(raw);
  } else if (dtype === 'BF16') {
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < numel; i++) u32[i] = raw.readUInt16LE(2 * i) << 16; // exact: bf16 is the top half
  } else {
    for (let i = 0; i < numel; i++) out[i] = halfToFloat(raw.readUInt16LE(2 * i));
  }
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Read every tensor of one safetensors file. */
export function readSafetensorsFile(file: string, into = new Map<string, HostTensor>()): Map<string, HostTensor> {
  const { entries, dataStart } = readHeader(file);
  const fd = fs.openSync(file, 'r');
  try {
    for (const [name, e] of entries) {
      const [s, t] = e.data_offsets;
      const raw = Buffer.alloc(t - s);
      const got = fs.readSync(fd, raw, 0, t - s, dataStart + s);
      check(got === t - s, `${file}: truncated while reading tensor "${name}"`);
      const numel = e.shape.reduce((a, b) => a * b, 1);
      check(!into.has(name), `${file}: tensor "${name}" appears in more than one file`);
      into.set(name, { shape: e.shape.slice(), data: upcast(e.dtype, raw, numel) });
    }
  } finally {
    fs.closeSync(fd);
  }
  return into;
}

/** Read a model directory's weights: model.safetensors, or the shards named by the index. */
export function readSafetensors(dir: string): Map<string, HostTensor> {
  const single = path.join(dir, 'model.safetensors');
  const index = path.join(dir, 'model.safetensors.index.json');
  if (fs.existsSync(single)) return readSafetensorsFile(single);
  if (fs.existsSync(index)) {
    let idx: { weight_map?: Record<string, string> };
    try { idx = JSON.parse(fs.readFileSync(index, 'utf8')); } catch (e) {
      throw new TtrlError(`${index}: invalid JSON (${(e as Error).message})`);
    }
    check(idx.weight_map && typeof idx.weight_map === 'object', `${index}: missing "weight_map"`);
    const files = [...new Set(Object.values(idx.weight_map))].sort();
    const out = new Map<string, HostTensor>();
    for (const f of files) readSafetensorsFile(path.join(dir, f), out);
    for (const [name, f] of Object.entries(idx.weight_map)) {
      check(out.has(name), `${index}: tensor "${name}" is mapped to ${f} but not found there`);
    }
    return out;
  }
  throw new TtrlError(`${dir}: no model.safetensors or model.safetensors.index.json found`);
}

/** Write F32 tensors as one safetensors file, sorted by name, header padded to 8 bytes as HF does.
 *  Written to a temporary name and renamed, so a crash never leaves a half-written file. */
export function writeSafetensors(file: string, tensors: Map<string, HostTensor> | [string, HostTensor][],
                                 metadata: Record<string, string> = { format: 'pt' }): void {
  const list = [...tensors].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const header: Record<string, unknown> = { __metadata__: metadata };
  let off = 0;
  for (const [name, t] of list) {
    const bytes = t.data.length * 4;
    check(t.shape.reduce((a, b) => a * b, 1) === t.data.length, `tensor "${name}": shape [${t.shape}] does not match ${t.data.length} values`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [off, off + bytes] };
    off += bytes;
  }
  let hjson = JSON.stringify(header);
  hjson += ' '.repeat((8 - (hjson.length % 8)) % 8);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(Buffer.byteLength(hjson)));
    fs.writeSync(fd, len);
    fs.writeSync(fd, Buffer.from(hjson, 'utf8'));
    for (const [, t] of list) fs.writeSync(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}
