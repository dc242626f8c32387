import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { loadLabeled, loadPrompts, stripLabels } from '../../src/data/dataset.js';
import { resolveFormat } from '../../src/data/records.js';
import { TtrlError } from '../../src/util/errors.js';
import { SHARED_DIR } from '../shared.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-data-'));
const write = (name: string, data: string | ArrayBuffer) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, typeof data === 'string' ? data : Buffer.from(data));
  return f;
};
const rejects = (p: Promise<unknown>, re: RegExp) => assert.rejects(p, (e: Error) => e instanceof TtrlError && re.test(e.message), String(re));

test('the shared ttrl-bench JSON files load with their ids and answers', async () => {
  const aime = await loadLabeled(path.join(SHARED_DIR, 'data', 'ttrl-bench', 'AIME-TTT.json'));
  assert.equal(aime.length, 30);
  assert.deepEqual([aime[0]!.id, aime[0]!.answer], ['0', '204']);
  const l1 = await loadLabeled(path.join(SHARED_DIR, 'data', 'ttrl-bench', 'MATH-L1-TTT.json'));
  assert.equal(l1.length, 43);
  assert.equal(l1[0]!.id, 'test/precalculus/1303.json'); // from unique_id
  assert.equal(l1[0]!.answer, '\\sqrt{51}');
});

test('JSON array, JSONL and Parquet give the same examples', async () => {
  const recs = [
    { id: 7, prompt: 'What is 1+1?', answer: '2', source: 'x' },
    { id: 8, prompt: 'What is 2+3?', answer: 5 },
  ];
  const want = [{ id: '7', prompt: 'What is 1+1?', answer: '2' }, { id: '8', prompt: 'What is 2+3?', answer: '5' }];
  assert.deepEqual(await loadLabeled(write('a.json', JSON.stringify(recs))), want);
  assert.deepEqual(await loadLabeled(write('a.jsonl', recs.map((r) => JSON.stringify(r)).join('\n') + '\n\n')), want);
  const pq = parquetWriteBuffer({ columnData: [
    { name: 'id', data: [7n, 8n], type: 'INT64' },
    { name: 'prompt', data: ['What is 1+1?', 'What is 2+3?'], type: 'STRING' },
    { name: 'answer', data: ['2', '5'], type: 'STRING' },
  ] });
  assert.ok(pq.byteLength < 10_000);
  assert.deepEqual(await loadLabeled(write('a.parquet', pq)), want);
});

test('configurable and nested field names: a verl-style Parquet file', async () => {
  const pq = parquetWriteBuffer({ columnData: [
    { name: 'prompt', data: [[{ role: 'user', content: 'Q1' }], [{ role: 'user', content: 'Q2' }]] },
    { name: 'reward_model', data: [{ ground_truth: '2', style: 'rule' }, { ground_truth: '5', style: 'rule' }] },
    { name: 'extra_info', data: [{ index: 0 }, { index: 1 }] },
  ] });
  const f = write('verl.parquet', pq);
  const ds = await loadLabeled(f, { answerKey: 'reward_model.ground_truth', idKey: 'extra_info.index' });
  assert.deepEqual(ds, [{ id: '0', prompt: 'Q1', answer: '2' }, { id: '1', prompt: 'Q2', answer: '5' }]);
  const q = write('q.json', JSON.stringify([{ problem: 'P', solution: 'S', final: '3' }]));
  assert.deepEqual(await loadLabeled(q, { promptKey: 'problem', answerKey: 'final' }), [{ id: '0', prompt: 'P', answer: '3' }]);
});

test('prompt-only loading needs no answer field, and stripLabels leaves no answer property at all', async () => {
  const f = write('unlabeled.jsonl', '{"prompt": "A"}\n{"prompt": "B"}\n');
  const p = await loadPrompts(f);
  assert.deepEqual(p, [{ id: '0', prompt: 'A' }, { id: '1', prompt: 'B' }]);
  await rejects(loadLabeled(f), /line 1 has no field 'answer' \(fields: prompt\); set --data\.answer_key/);
  const labeled = await loadLabeled(write('l.json', JSON.stringify([{ prompt: 'A', answer: 'secret-42' }])));
  const stripped = stripLabels(labeled);
  assert.deepEqual(Object.keys(stripped[0]!), ['id', 'prompt']);
  assert.ok(!('answer' in stripped[0]!));
  assert.ok(!JSON.stringify(stripped).includes('secret-42'));
  assert.throws(() => { (stripped[0] as unknown as Record<string, unknown>).answer = 'x'; }, TypeError); // frozen
});

test('errors name the file, line or record, the field and the flag', async () => {
  await rejects(loadLabeled(path.join(tmp, 'nope.json')), /nope\.json: no such file; check --data\.path/);
  await rejects(loadLabeled(path.join(tmp, 'nope.parquet')), /nope\.parquet: no such file/);
  await rejects(loadLabeled(write('bad.jsonl', '{"prompt": "a", "answer": "1"}\n\n{"prompt": "b", answer: 2}\n')), /bad\.jsonl:3: malformed JSON line/);
  await rejects(loadLabeled(write('bad.json', '[{"prompt": "a"},')), /bad\.json: malformed JSON/);
  await rejects(loadLabeled(write('obj.json', '{"prompt": "a"}')), /expected a JSON array of records, got object/);
  await rejects(loadLabeled(write('empty.json', '[]')), /empty\.json: the dataset is empty/);
  await rejects(loadLabeled(write('empty.jsonl', '\n')), /the dataset is empty/);
  await rejects(loadLabeled(write('noprompt.json', JSON.stringify([{ question: 'q', answer: '1' }]))),
    /record 0 has no field 'prompt' \(fields: question, answer\); set --data\.prompt_key/);
  await rejects(loadLabeled(write('dup.json', JSON.stringify([{ id: 1, prompt: 'a', answer: '1' }, { id: 1, prompt: 'b', answer: '2' }]))),
    /duplicate id '1' at record 0 and record 1; set --data\.id_key/);
  await rejects(loadLabeled(write('sys.json', JSON.stringify([{ prompt: [{ role: 'system', content: 's' }, { role: 'user', content: 'u' }], answer: '1' }]))),
    /roles \[system, user\].*--model\.system_prompt/);
  await rejects(loadLabeled(write('blank.json', JSON.stringify([{ prompt: '  ', answer: '1' }]))), /field 'prompt' is empty/);
  await rejects(loadLabeled(write('arr.json', JSON.stringify([{ prompt: 'p', answer: ['1', '2'] }]))), /'answer' must be a string or number, got array/);
  await rejects(loadLabeled(write('noid.json', JSON.stringify([{ prompt: 'p', answer: '1' }])), { idKey: 'uid' }), /no field 'uid'.*--data\.id_key/);
  await rejects(loadLabeled(write('garbage.parquet', 'not parquet at all')), /cannot read as Parquet/);
  assert.throws(() => resolveFormat('x.csv'), /cannot tell the format.*--data\.format/);
  assert.equal(resolveFormat('x.csv', 'jsonl'), 'jsonl');
});
