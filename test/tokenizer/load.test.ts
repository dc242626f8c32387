// Loading: which files are required, how config fields are read, and the one-line errors that name
// the file (and the fix) for every bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import { TtrlError } from '../../src/util/errors.js';
import { tempDir, trainedTokenizer, variantDir } from './fixture.js';

/** Assert a TtrlError whose message is one line and matches every pattern. */
async function rejectsWith(p: Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.ok(e instanceof TtrlError, `not a TtrlError: ${e.stack}`);
    assert.ok(!e.message.includes('\n'), `multi-line message: ${e.message}`);
    for (const re of patterns) assert.match(e.message, re);
    return true;
  });
}

test('missing tokenizer.json: names the file', async () => {
  const dir = tempDir('empty');
  await rejectsWith(loadTokenizer(dir), new RegExp(`${dir}/tokenizer\\.json: not found`));
});

test('tokenizer.json that is not JSON, or not an object', async () => {
  const dir = tempDir('badjson');
  writeFileSync(path.join(dir, 'tokenizer.json'), '{"model": ');
  await rejectsWith(loadTokenizer(dir), /tokenizer\.json: not valid JSON/);
  writeFileSync(path.join(dir, 'tokenizer.json'), '[1, 2]');
  await rejectsWith(loadTokenizer(dir), /tokenizer\.json: must hold a JSON object/);
});

test('unsupported model type is named', async () => {
  const dir = tempDir('wordpiece');
  writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify({ model: { type: 'WordPiece', vocab: { a: 0 } } }));
  await rejectsWith(loadTokenizer(dir), /tokenizer\.json: tokenizer model type "WordPiece" is not supported/, /byte-level BPE/);
  writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify({ model: { vocab: {} } }));
  await rejectsWith(loadTokenizer(dir), /tokenizer model type null is not supported/);
});

test('only tokenizer.json: loads, no template, no eos; chat asks for --raw naming tokenizer_config.json', async () => {
  const dir = await variantDir('qwen2', 'bare', () => null);
  rmSync(path.join(dir, 'generation_config.json'));
  const tok = await loadTokenizer(dir);
  assert.deepEqual(tok.eosIds, []);
  assert.equal(tok.chatTemplate, null);
  assert.deepEqual(tok.genDefaults, {});
  assert.equal(tok.decode(tok.encode('still works')), 'still works');
  assert.throws(() => tok.renderChat([{ role: 'user', content: 'x' }]), (e: Error) =>
    e instanceof TtrlError && e.message.includes(path.join(dir, 'tokenizer_config.json')) && e.message.includes('--raw'));
});

test('eos: an int eos_token_id and an AddedToken-dict eos_token are read; repeats dropped', async () => {
  const dir = await variantDir('qwen2', 'eosint', (cfg) => ({ ...cfg, eos_token: { __type: 'AddedToken', content: '<|endoftext|>' } }));
  const tok0 = await loadTokenizer(dir);
  const eot = tok0.tokenToId('<|endoftext|>')!, imEnd = tok0.tokenToId('<|im_end|>')!;
  writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: eot, do_sample: false }));
  const tok = await loadTokenizer(dir);
  assert.deepEqual(tok.eosIds, [eot]);
  assert.deepEqual(tok.genDefaults, { doSample: false });
  writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [imEnd, eot, imEnd] }));
  assert.deepEqual((await loadTokenizer(dir)).eosIds, [eot, imEnd]);
});

test('bad config fields name the file and key', async () => {
  const notToken = await variantDir('qwen2', 'eosbad', (cfg) => ({ ...cfg, eos_token: '<|nope|>' }));
  await rejectsWith(loadTokenizer(notToken), /tokenizer_config\.json: 'eos_token' "<\|nope\|>" is not a token of .*tokenizer\.json/);
  const badType = await variantDir('qwen2', 'eostype', (cfg) => ({ ...cfg, pad_token: 7 }));
  await rejectsWith(loadTokenizer(badType), /tokenizer_config\.json: 'pad_token' must be a token string/);
  const badList = await variantDir('qwen2', 'tmpllist', (cfg) => ({ ...cfg, chat_template: [{ name: 'rag', template: 'x' }] }));
  await rejectsWith(loadTokenizer(badList), /tokenizer_config\.json: 'chat_template' is a list with no \{"name": "default"/);
  const dir = await variantDir('qwen2', 'genbad', (cfg) => cfg);
  const gen = path.join(dir, 'generation_config.json');
  for (const [body, re] of [
    [{ eos_token_id: '2' }, /generation_config\.json: 'eos_token_id' must be a non-negative integer/],
    [{ eos_token_id: [1, -1] }, /'eos_token_id' must be a non-negative integer/],
    [{ temperature: 'hot' }, /generation_config\.json: 'temperature' must be a number/],
    [{ top_k: 2.5 }, /'top_k' must be an integer/],
    [{ do_sample: 1 }, /'do_sample' must be true or false/],
  ] as const) {
    writeFileSync(gen, JSON.stringify(body));
    await rejectsWith(loadTokenizer(dir), re);
  }
  writeFileSync(gen, '{oops');
  await rejectsWith(loadTokenizer(dir), /generation_config\.json: not valid JSON/);
});

test('a tokenizer.json the library cannot build is a TtrlError naming the file', async () => {
  const { files } = await trainedTokenizer('qwen2');
  const dir = tempDir('badregex');
  const broken = structuredClone(files.tokenizer) as { pre_tokenizer: { pretokenizers: { pattern?: { Regex: string } }[] } };
  broken.pre_tokenizer.pretokenizers[0].pattern = { Regex: '(unclosed' };
  writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(broken));
  await rejectsWith(loadTokenizer(dir), /tokenizer\.json: cannot be read by @huggingface\/tokenizers/);
});
