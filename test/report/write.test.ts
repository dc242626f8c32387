import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { TtrlError } from '../../src/util/errors.js';
import { loadReportInput } from '../../src/report/load.js';
import { writeReport } from '../../src/report/write.js';
import { parseMetrics } from '../../src/report/metrics.js';
import { fmtNum, fmtPct, fmtSeconds, runFinals, tailMean } from '../../src/report/finals.js';
import { repoRoot } from '../shared.js';
import { CONFIG_YAML, synthRecords, writeRun } from './synth.js';

/** A tag attribute that would make the browser fetch something: any scheme or a protocol-relative URL. */
const EXTERNAL_REF = /<[a-z][^>]*?\b(?:src|href)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|\/\/)/gi;

/** Assert `re` does not occur in `html`; on failure show the hits, not the 200 kB page. */
function assertAbsent(html: string, re: RegExp, what: string): void {
  const hits = [...html.matchAll(new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g'))].map((m) => m[0].slice(0, 120));
  assert.deepEqual(hits, [], `${what}: found ${hits.length}`);
}

/** Assert `re` occurs in `html`; on failure show a short excerpt. */
function assertPresent(html: string, re: RegExp): void {
  assert.ok(re.test(html), `${re} not found in report.html (${html.length} chars)`);
}

async function tmp(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'ttrl-report-'));
}

test('writeReport: single run → report.html, atomic (no temp left), self-contained, specs embedded', async () => {
  const dir = await tmp();
  try {
    await writeRun(dir, synthRecords({ steps: 8, evalEvery: 2, seed: 1, gold: true, gain: 0.2 }), CONFIG_YAML('ttrl', 5e-7), '{"kind":"st');
    const notes: string[] = [];
    const out = await writeReport(dir, { onNote: (n) => notes.push(n) });
    assert.equal(out, path.join(dir, 'report.html'));
    assert.deepEqual((await readdir(dir)).sort(), ['config.yaml', 'metrics.jsonl', 'report.html']);
    assert.equal(notes.length, 1);
    assert.match(notes[0], /metrics\.jsonl:\d+: skipped, truncated/);
    const html = await readFile(out, 'utf8');
    assertAbsent(html, EXTERNAL_REF, 'external src/href');
    assertAbsent(html, /<link\b|<script[^>]+src=|sourceMappingURL/gi, 'external resource');
    const css = /<style>(.*?)<\/style>/s.exec(html)?.[1] ?? '';
    assertAbsent(css, /url\(|@import/gi, 'CSS fetch');
    assertPresent(html, /Chart\.js v4\.\d+\.\d+/);
    const data = /<script type="application\/json" id="ttrl-data">(.*?)<\/script>/s.exec(html);
    assert.ok(data);
    assert.equal(JSON.parse(data[1]).length, 13);
    assertPresent(html, /rl\.lr<\/dt><dd>5e-7/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writeReport: text from the run is escaped (no markup, no fetch can be injected)', async () => {
  const dir = await tmp();
  try {
    const evil = '</script><img src=http://example.invalid/x.png>';
    await writeRun(dir, synthRecords({ steps: 2, evalEvery: 1, seed: 2, gold: true, gain: 0.1 }), `note: "${evil}"\n`);
    const html = await readFile(await writeReport(dir), 'utf8');
    assertAbsent(html, /<img/gi, 'injected tag');
    assertAbsent(html, EXTERNAL_REF, 'external src/href');
    assert.ok(html.includes('&lt;/script&gt;&lt;img src=http://example.invalid/x.png&gt;'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('loadReportInput: a comparison orders base/ttrl/oracle first, reads summary.json, notes missing config', async () => {
  const dir = await tmp();
  try {
    for (const name of ['zeta', 'oracle', 'ttrl']) {
      await writeRun(path.join(dir, name), synthRecords({ steps: 3, evalEvery: 1, seed: 3, gold: true, gain: 0.1 }), name === 'zeta' ? null : CONFIG_YAML(name, 1e-6));
    }
    await mkdir(path.join(dir, 'checkpoints'));
    await writeFile(path.join(dir, 'summary.json'), '{"base":{"pass1":0.25,"maj":0.4},"ttrl":{"pass1":0.5,"maj":0.55,"label_acc":0.6},"seconds":93}');
    const input = await loadReportInput(dir);
    assert.equal(input.kind, 'comparison');
    assert.deepEqual(input.runs.map((r) => r.name), ['ttrl', 'oracle', 'zeta']);
    assert.deepEqual(input.summary, {
      rows: [{ name: 'base', values: { pass1: 0.25, maj: 0.4 } }, { name: 'ttrl', values: { pass1: 0.5, maj: 0.55, label_acc: 0.6 } }],
      extras: { seconds: 93 },
    });
    assert.deepEqual(input.notes, [`${path.join(dir, 'zeta', 'config.yaml')}: not found`]);
    const html = await readFile(await writeReport(dir), 'utf8');
    assertPresent(html, /Settings that differ/);
    // zeta has no config.yaml: it gets no column (else every setting would "differ")
    assertPresent(html, /<th>setting<\/th><th>ttrl<\/th><th>oracle<\/th><\/tr>/);
    assertPresent(html, /<th>rl\.mode<\/th><td>ttrl<\/td><td>oracle<\/td><\/tr>/);
    assertPresent(html, /<summary>10 shared settings<\/summary>/);
    assertPresent(html, /Comparison \(summary\.json\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('loadReportInput: a missing dir, a file, or a dir without metrics is a TtrlError naming the path', async () => {
  const dir = await tmp();
  try {
    const missing = path.join(dir, 'nope');
    await assert.rejects(loadReportInput(missing), (e: unknown) => e instanceof TtrlError && e.message.startsWith(`${missing}: no such directory`));
    await writeFile(path.join(dir, 'f.txt'), 'x');
    await assert.rejects(loadReportInput(path.join(dir, 'f.txt')), (e: unknown) => e instanceof TtrlError && /f\.txt: not a directory/.test(e.message));
    await mkdir(path.join(dir, 'sub'));
    await assert.rejects(loadReportInput(dir), (e: unknown) => e instanceof TtrlError
      && e.message === `${dir}: no metrics.jsonl here or in any subdirectory (is this a ttrl run directory?)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writeReport: an empty metrics.jsonl gives a report that says so and lists every chart as not shown', async () => {
  const dir = await tmp();
  try {
    await writeRun(dir, [], CONFIG_YAML('ttrl', 1e-6));
    await writeFile(path.join(dir, 'metrics.jsonl'), '');
    const notes: string[] = [];
    const html = await readFile(await writeReport(dir, { onNote: (n) => notes.push(n) }), 'utf8');
    assert.deepEqual(notes, [`${path.join(dir, 'metrics.jsonl')}: no step or eval records yet`]);
    assertAbsent(html, /<canvas/g, 'chart canvas');
    const notShown = /Not shown, no data: (.*?)\.<\/p>/.exec(html)?.[1] ?? '';
    assert.equal([...notShown.matchAll(/<b>/g)].length, 13, notShown);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('runFinals and formatting: hand-computed values', () => {
  const m = parseMetrics([
    '{"kind":"eval","step":0,"pass1":0.2,"maj":0.3,"greedy":0.1,"k":8}',
    '{"kind":"step","step":1,"time":100,"label_acc":0.5,"t_rollout":1,"t_grade":0.5,"t_update":2}',
    '{"kind":"step","step":2,"time":110,"label_acc":null,"t_rollout":1,"t_update":2}',
    '{"kind":"step","step":3,"time":125,"label_acc":0.75}',
    '{"kind":"eval","step":3,"pass1":0.35,"greedy":0.6}',
  ].join('\n'));
  const f = runFinals(m);
  assert.deepEqual(f.pass1, { first: 0.2, last: 0.35, firstStep: 0, lastStep: 3 });
  assert.deepEqual(f.maj, { first: 0.3, last: 0.3, firstStep: 0, lastStep: 0 });
  assert.deepEqual(f.greedy, { first: 0.1, last: 0.6, firstStep: 0, lastStep: 3 });
  assert.equal(f.k, 8);
  assert.equal(f.labelAcc, 0.625);
  assert.equal(f.rewardAcc, undefined);
  assert.equal(f.stepSeconds, 6.5);
  assert.equal(f.wallSeconds, 25);
  assert.equal(f.lastStep, 3);
  assert.equal(tailMean(m.steps, 'label_acc', 1), 0.75);
  assert.deepEqual([fmtPct(0.4567), fmtPct(undefined), fmtSeconds(42), fmtSeconds(210), fmtSeconds(7200)], ['45.7%', '–', '42 s', '3.5 min', '2.0 h']);
  assert.deepEqual([fmtNum(5e-7), fmtNum(3), fmtNum(0.123456)], ['5.00e-7', '3', '0.1235']);
});

test('ttrl report CLI: prints the path; a bad dir exits 2 with one line naming it', async () => {
  const run = promisify(execFile);
  const bin = path.join(repoRoot, 'bin', 'ttrl.js');
  const dir = await tmp();
  try {
    await writeRun(dir, synthRecords({ steps: 2, evalEvery: 1, seed: 5, gold: true, gain: 0.1 }), CONFIG_YAML('ttrl', 1e-6));
    const ok = await run(process.execPath, [bin, 'report', dir]);
    assert.equal(ok.stdout, path.join(dir, 'report.html') + '\n');
    const bad = await run(process.execPath, [bin, 'report', path.join(dir, 'missing')]).then(() => null, (e: { code: number; stderr: string }) => e);
    assert.ok(bad, 'expected a non-zero exit');
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.match(bad.stderr, /missing: no such directory/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
