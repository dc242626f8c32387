// `ttrl serve` as a process: a seeded request equals `ttrl generate --seed`, and Ctrl-C (SIGINT) lets a
// request in flight finish before the process exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../shared.js';
import { DEMO_BASE, post, spawnServe } from './helpers.js';

test('a request with seed S gives the samples of `ttrl generate --seed S`; SIGINT drains, then exits 0', async () => {
  const s = await spawnServe(['--model', DEMO_BASE, '--served-model-name', 'base', '--max-slots', '4']);
  try {
    const args = ['--prompt', '17+25=', '--raw', '-n', '3', '--seed', '11', '--temperature', '0.8', '--top-p', '0.95', '--max-new-tokens', '16'];
    const g = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'ttrl.js'), 'generate', '--model', DEMO_BASE, ...args, '--json', '--precision', 'fp32'], { encoding: 'utf8' });
    assert.equal(g.status, 0, g.stderr);
    const want = g.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ids: number[]; text: string });
    const r = await post(`${s.url}/v1/completions`, { model: 'base', prompt: '17+25=', n: 3, seed: 11, temperature: 0.8, top_p: 0.95, max_tokens: 16, return_token_ids: true });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual(r.json.choices.map((c: { token_ids: number[] }) => c.token_ids), want.map((w) => w.ids));
    assert.deepEqual(r.json.choices.map((c: { text: string }) => c.text), want.map((w) => w.text));
    // a long request in flight, then SIGINT: it still completes, later requests are refused, the process exits 0
    const res = await fetch(`${s.url}/v1/completions`, {
      method: 'POST', body: JSON.stringify({ model: 'base', prompt: [5, 6], n: 4, max_tokens: 250, ignore_eos: true, stream: true }),
    });
    const reader = res.body!.getReader();
    let text = new TextDecoder().decode((await reader.read()).value);  // the stream has started
    s.proc.kill('SIGINT');
    for (;;) { const c = await reader.read(); if (c.done) break; text += new TextDecoder().decode(c.value); }
    const finals = text.split('\n\n').filter((e) => e.startsWith('data: {')).flatMap((e) => JSON.parse(e.slice(6)).choices).filter((c) => c.finish_reason);
    assert.deepEqual(finals.map((c) => c.finish_reason), ['length', 'length', 'length', 'length']);
    assert.ok(text.trimEnd().endsWith('data: [DONE]'));
    assert.equal(await s.exited, 0, s.stderr());
  } finally {
    s.proc.kill();
  }
});
