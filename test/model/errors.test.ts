// Bad model directories give one-line TtrlErrors that name the file and the problem. Each case copies a
// parity fixture (../shared/fixtures/hf-parity/llama or llama-sharded) into a temp dir and breaks one thing:
// the config, the safetensors header or data, the tensor set, or the shard index.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadModel } from '../../src/model/model.js';
import { TtrlError } from '../../src/util/errors.js';
import { PARITY_DIR } from './helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-errors-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

let nCopies = 0;
/** A fresh copy of a parity fixture folder; returns its path. */
function copyFixture(name: string): string {
  const dir = path.join(tmp, `${name}-${nCopies++}`);
  fs.cpSync(path.join(PARITY_DIR, name), dir, { recursive: true });
  return dir;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Header = Record<string, any>;

/** A safetensors file split into its header (parsed) and its data bytes. */
function readSt(file: string): { header: Header; data: Buffer } {
  const buf = fs.readFileSync(file);
  const hlen = Number(buf.readBigUInt64LE(0));
  return { header: JSON.parse(buf.subarray(8, 8 + hlen).toString('utf8')), data: buf.subarray(8 + hlen) };
}

/** Writes header text (as given: it may be broken on purpose) and data; hlen overrides the length field. */
function writeStRaw(file: string, headerText: string, data: Buffer, hlen = BigInt(Buffer.byteLength(headerText))): void {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(hlen);
  fs.writeFileSync(file, Buffer.concat([len, Buffer.from(headerText, 'utf8'), data]));
}

/** Rewrites dir/model.safetensors after `edit` mutates its header. */
function editHeader(dir: string, edit: (h: Header) => void): string {
  const file = path.join(dir, 'model.safetensors');
  const { header, data } = readSt(file);
  edit(header);
  writeStRaw(file, JSON.stringify(header), data);
  return file;
}

function editConfig(dir: string, edit: (c: Header) => void): string {
  const file = path.join(dir, 'config.json');
  const cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(cfg);
  fs.writeFileSync(file, JSON.stringify(cfg));
  return file;
}

/** Loading `dir` must throw a one-line TtrlError containing every one of `parts`. */
function expectLoadError(dir: string, ...parts: (string | RegExp)[]): void {
  let err: unknown = null;
  try { loadModel(dir); } catch (e) { err = e; }
  assert.ok(err instanceof TtrlError, `expected a TtrlError loading ${dir}, got ${err === null ? 'no error' : String(err)}`);
  assert.ok(!err.message.includes('\n'), `message is not one line: ${err.message}`);
  for (const p of parts) {
    if (typeof p === 'string') assert.ok(err.message.includes(p), `message "${err.message}" does not mention "${p}"`);
    else assert.match(err.message, p);
  }
}

test('the unbroken copies load (so every failure below is the one thing broken)', () => {
  assert.equal(loadModel(copyFixture('llama')).cfg.nLayers, 2);
  assert.equal(loadModel(copyFixture('llama-sharded')).cfg.nLayers, 2);
});

// ---- config.json ---------------------------------------------------------------------------------------------

test('missing model directory', () => {
  const dir = path.join(tmp, 'no-such-model');
  expectLoadError(dir, dir, 'not found');
});

test('missing config.json', () => {
  const dir = copyFixture('llama');
  fs.rmSync(path.join(dir, 'config.json'));
  expectLoadError(dir, path.join(dir, 'config.json'), 'not found');
});

test('config.json is not valid JSON', () => {
  const dir = copyFixture('llama');
  fs.writeFileSync(path.join(dir, 'config.json'), '{"model_type": "llama",');
  expectLoadError(dir, path.join(dir, 'config.json'), 'invalid JSON');
});

test('unsupported model_type', () => {
  const dir = copyFixture('llama');
  const file = editConfig(dir, (c) => { c.model_type = 'gpt2'; });
  expectLoadError(dir, file, 'unsupported model_type "gpt2"', '"llama"');
});

test('unsupported rope_scaling type', () => {
  const dir = copyFixture('llama');
  const file = editConfig(dir, (c) => { c.rope_scaling = { rope_type: 'yarn', factor: 4 }; });
  expectLoadError(dir, file, 'unsupported rope_scaling type "yarn"');
});

test('config.json missing a required field', () => {
  const dir = copyFixture('llama');
  const file = editConfig(dir, (c) => { delete c.hidden_size; });
  expectLoadError(dir, file, 'missing required field "hidden_size"');
});

// ---- safetensors file -------------------------------------------------------------------------------------------

test('safetensors header length larger than the file', () => {
  const dir = copyFixture('llama');
  const file = path.join(dir, 'model.safetensors');
  const { header, data } = readSt(file);
  writeStRaw(file, JSON.stringify(header), data, 10n ** 12n);
  expectLoadError(dir, file, 'corrupt safetensors header', 'header length');
});

test('safetensors file shorter than its length field', () => {
  const dir = copyFixture('llama');
  const file = path.join(dir, 'model.safetensors');
  fs.writeFileSync(file, Buffer.from([1, 2, 3]));
  expectLoadError(dir, file, 'truncated');
});

test('safetensors header that is not JSON', () => {
  const dir = copyFixture('llama');
  const file = path.join(dir, 'model.safetensors');
  const { header, data } = readSt(file);
  const text = JSON.stringify(header);
  writeStRaw(file, text.slice(0, text.length - 40) + ' '.repeat(40), data);
  expectLoadError(dir, file, 'corrupt safetensors header', 'not valid JSON');
});

test('truncated safetensors file (data shorter than the offsets)', () => {
  const dir = copyFixture('llama');
  const file = path.join(dir, 'model.safetensors');
  const size = fs.statSync(file).size;
  fs.truncateSync(file, size - 100);
  expectLoadError(dir, file, 'truncated', 'data offsets');
});

for (const dtype of ['I8', 'F64']) {
  test(`unsupported dtype ${dtype}`, () => {
    const dir = copyFixture('llama');
    const file = editHeader(dir, (h) => { h['model.norm.weight'].dtype = dtype; });
    expectLoadError(dir, file, '"model.norm.weight"', `unsupported dtype ${dtype}`);
  });
}

test('data offsets that do not match the shape', () => {
  const dir = copyFixture('llama');
  const file = editHeader(dir, (h) => { h['model.norm.weight'].data_offsets[1] -= 4; });
  expectLoadError(dir, file, '"model.norm.weight"', 'data offsets', 'do not match shape');
});

// ---- the tensor set ---------------------------------------------------------------------------------------------

test('missing tensor', () => {
  const dir = copyFixture('llama');
  editHeader(dir, (h) => { delete h['model.layers.1.mlp.up_proj.weight']; });
  expectLoadError(dir, dir, 'missing tensor "model.layers.1.mlp.up_proj.weight"', 'expected shape [176,64]');
});

test('tensor with the right size but the wrong shape', () => {
  const dir = copyFixture('llama');
  editHeader(dir, (h) => { h['model.layers.0.self_attn.q_proj.weight'].shape = [32, 128]; });
  expectLoadError(dir, dir, '"model.layers.0.self_attn.q_proj.weight"', 'shape [32,128]', 'expected [64,64]');
});

test('unexpected extra tensor', () => {
  const dir = copyFixture('llama');
  editHeader(dir, (h) => { h['model.layers.0.mlp.extra.weight'] = { ...h['model.norm.weight'] }; });
  expectLoadError(dir, dir, 'unexpected tensor "model.layers.0.mlp.extra.weight"');
});

test('a tensor of a layer the config does not have', () => {
  const dir = copyFixture('llama');
  editConfig(dir, (c) => { c.num_hidden_layers = 1; });
  expectLoadError(dir, dir, 'unexpected tensor "model.layers.1.');
});

// ---- sharded checkpoints -------------------------------------------------------------------------------------------

test('sharded index pointing to a missing file', () => {
  const dir = copyFixture('llama-sharded');
  const index = path.join(dir, 'model.safetensors.index.json');
  const idx = JSON.parse(fs.readFileSync(index, 'utf8'));
  idx.weight_map['model.norm.weight'] = 'model-00003-of-00003.safetensors';
  fs.writeFileSync(index, JSON.stringify(idx));
  expectLoadError(dir, 'model-00003-of-00003.safetensors', /cannot open|missing|not found/);
});

test('sharded index that is not JSON', () => {
  const dir = copyFixture('llama-sharded');
  const index = path.join(dir, 'model.safetensors.index.json');
  fs.writeFileSync(index, '{"weight_map": ');
  expectLoadError(dir, index, 'invalid JSON');
});

test('no weights at all', () => {
  const dir = copyFixture('llama');
  fs.rmSync(path.join(dir, 'model.safetensors'));
  expectLoadError(dir, dir, 'no model.safetensors or model.safetensors.index.json');
});
