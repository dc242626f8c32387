import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bool, f32, i32Array, str, strArray, u32, writeGguf } from '../../src/export/gguf-writer.js';
import { loadNodeLlamaCpp } from './llamacpp.js';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-gguf-'));

/** The expected bytes, assembled by hand from the GGUF v3 spec (not with the writer's code). */
function handBuilt(): Buffer {
  const parts: Buffer[] = [];
  const u32b = (v: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; };
  const u64b = (v: number): Buffer => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; };
  const s = (x: string): Buffer => Buffer.concat([u64b(Buffer.byteLength(x)), Buffer.from(x)]);
  parts.push(Buffer.from('GGUF'), u32b(3), u64b(2), u64b(2));
  parts.push(s('a.n'), u32b(4), u32b(7)); // u32 = type 4
  parts.push(s('a.s'), u32b(8), s('hé')); // string = type 8, UTF-8 bytes
  // tensor "x": shape (2, 3) row-major → ne = [3, 2], F32 (0), offset 0
  parts.push(s('x'), u32b(2), u64b(3), u64b(2), u32b(0), u64b(0));
  // tensor "y": shape (3), F16 (1); x takes 24 bytes, padded to 32
  parts.push(s('y'), u32b(1), u64b(3), u32b(1), u64b(32));
  let head = Buffer.concat(parts);
  head = Buffer.concat([head, Buffer.alloc((32 - (head.length % 32)) % 32)]);
  const x = Buffer.alloc(24);
  [1, 2, 3, 4, 5, 6].forEach((v, i) => x.writeFloatLE(v, 4 * i));
  const y = Buffer.from([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38]); // 1, -2, 0.5 as f16
  return Buffer.concat([head, x, Buffer.alloc(8), y, Buffer.alloc(26)]);
}

test('writeGguf produces the spec layout byte for byte (header, KVs, ne order, alignment, f16)', () => {
  const file = path.join(tmp(), 'a.gguf');
  const size = writeGguf(file, [['a.n', u32(7)], ['a.s', str('hé')]], [
    { name: 'x', shape: [2, 3], dtype: 'f32', chunks: () => [new Float32Array([1, 2, 3]), new Float32Array([4, 5, 6])] },
    { name: 'y', shape: [3], dtype: 'f16', chunks: () => [new Float32Array([1, -2, 0.5])] },
  ]);
  const got = fs.readFileSync(file);
  const want = handBuilt();
  assert.equal(size, got.length);
  assert.equal(got.length, want.length);
  assert.ok(got.equals(want), `first differing byte at ${got.findIndex((b, i) => b !== want[i])}`);
});

test('writeGguf: wrong value count throws and leaves no file; duplicate names and bad u32 are rejected', () => {
  const dir = tmp();
  const file = path.join(dir, 'bad.gguf');
  assert.throws(() => writeGguf(file, [], [{ name: 'x', shape: [4], dtype: 'f32', chunks: () => [new Float32Array(3)] }]),
    /tensor x shape \[4\] needs 4 values, got 3/);
  assert.deepEqual(fs.readdirSync(dir), []);
  assert.throws(() => writeGguf(file, [['k', u32(1)], ['k', u32(2)]], []), /metadata key k given twice/);
  assert.throws(() => writeGguf(file, [['k', u32(-1)]], []), /not a u32/);
  const t = { name: 'x', shape: [1], dtype: 'f32' as const, chunks: () => [new Float32Array(1)] };
  assert.throws(() => writeGguf(file, [], [t, t]), /tensor x given twice/);
});

test('writeGguf: arrays and scalars of every written type read back with an independent reader', async (t) => {
  const { nlc, skip } = await loadNodeLlamaCpp();
  if (skip || !nlc) { t.skip(skip || "node-llama-cpp unavailable"); return; }
  const file = path.join(tmp(), 'b.gguf');
  writeGguf(file, [
    ['general.architecture', str('llama')], ['k.bool', bool(true)], ['k.f32', f32(0.25)],
    ['k.strs', strArray(['a', 'Ġb', '<|x|>'])], ['k.ints', i32Array([1, -3, 5])],
  ], [{ name: 't', shape: [3, 2], dtype: 'f16', chunks: () => [new Float32Array(6)] }]);
  const info = await nlc.readGgufFileInfo(file, { logWarnings: false });
  const md = info.metadata as unknown as Record<string, Record<string, unknown>>;
  assert.equal(info.version, 3);
  assert.equal(md.k!.bool, true);
  assert.equal(md.k!.f32, 0.25);
  assert.deepEqual(md.k!.strs, ['a', 'Ġb', '<|x|>']);
  assert.deepEqual(Array.from(md.k!.ints as number[]), [1, -3, 5]);
  const ti = info.fullTensorInfo!.find((x) => x.name === 't')!;
  assert.deepEqual(ti.dimensions.map(Number), [2, 3]);
  assert.equal(ti.ggmlType, 1);
});
