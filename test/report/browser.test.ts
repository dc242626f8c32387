// Opens report.html in headless Chromium (Debian's `chromium`, driven by playwright-core) and checks, inside
// the page, that every chart drew its data: the Chart.js instance holds exactly the points of the synthetic
// metrics.jsonl, and each data series' color is painted inside the plot area. Also checks that the page
// requests nothing but itself (self-contained) and logs no errors. Saves full-page screenshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { writeReport } from '../../src/report/write.js';
import { repoRoot } from '../shared.js';
import { CONFIG_YAML, expectedPoints, synthRecords, writeRun, type Rec } from './synth.js';

const CHROMIUM = process.env.TTRL_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots and the reports they show are kept here for a person to look at (dist/ is not committed). */
const ARTIFACTS = path.join(repoRoot, 'dist', 'test-artifacts', 'report');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Each chart's data series: (record kind, field, label) in drawing order. Written out here, not imported. */
const SERIES: Record<string, [kind: 'step' | 'eval', field: string, label: string][]> = {
  eval: [['eval', 'pass1', 'pass@1'], ['eval', 'maj', 'maj@16'], ['eval', 'best', 'best@16'], ['eval', 'greedy', 'greedy']],
  labels: [['step', 'label_acc', 'label accuracy'], ['step', 'reward_acc', 'reward accuracy']],
  rollout: [['step', 'rollout_pass1', 'rollout pass@1'], ['step', 'rollout_passn', 'rollout pass@N']],
  proxy: [['step', 'pb_corr', 'point-biserial r'], ['step', 'pseudo_label_acc', 'pseudo-label accuracy']],
  reward: [['step', 'reward_mean', 'mean reward'], ['step', 'vote_share', 'vote share'], ['step', 'no_answer_frac', 'no answer']],
  classes: [['step', 'num_classes', 'distinct answers']],
  length: [['step', 'resp_len_mean', 'mean length'], ['step', 'resp_len_max', 'max length'], ['step', 'truncated_frac', 'truncated']],
  entropy: [['step', 'rollout_entropy', 'rollout entropy'], ['step', 'entropy', 'update entropy'], ['step', 'self_certainty', 'self-certainty']],
  kl: [['step', 'kl', 'KL']],
  optim: [['step', 'grad_norm', 'grad norm'], ['step', 'lr', 'learning rate']],
  loss: [['step', 'loss', 'loss'], ['step', 'clip_frac', 'clip fraction']],
  time: [['step', 't_rollout', 'rollout'], ['step', 't_grade', 'grade'], ['step', 't_update', 'update']],
  throughput: [['step', 'tokens_per_s', 'tokens/s']],
};

interface PageDataset { label: string; color: string; reference: boolean; points: [number, number][]; colorPixels: number }
interface PageChart { id: string; canvasW: number; canvasH: number; datasets: PageDataset[] }

/** Runs in the page: every chart canvas, its instance's datasets, and how many plot-area pixels have each color. */
function inspectCharts(): PageChart[] {
  const charts = (window as unknown as { __ttrlCharts: Record<string, any> }).__ttrlCharts;
  const hex = (c: string) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
  return [...document.querySelectorAll<HTMLCanvasElement>('canvas[data-chart]')].map((canvas) => {
    const chart = charts[canvas.dataset.chart!];
    const dpr = chart.currentDevicePixelRatio;
    const a = chart.chartArea;
    const img = canvas.getContext('2d')!.getImageData(a.left * dpr, a.top * dpr, (a.right - a.left) * dpr, (a.bottom - a.top) * dpr).data;
    const datasets = chart.data.datasets.map((d: any) => {
      const [r, g, b] = hex(d.borderColor);
      let colorPixels = 0;
      for (let i = 0; i < img.length; i += 4) {
        if (img[i + 3] > 240 && Math.abs(img[i] - r) + Math.abs(img[i + 1] - g) + Math.abs(img[i + 2] - b) <= 24) colorPixels++;
      }
      return {
        label: d.label, color: d.borderColor, reference: d.order === 1,
        points: d.data.map((p: { x: number; y: number }) => [p.x, p.y]), colorPixels,
      };
    });
    return { id: canvas.dataset.chart!, canvasW: canvas.width, canvasH: canvas.height, datasets };
  });
}

/** Open `html` in a fresh page; return the charts, the page text, and what went wrong (errors, requests). */
async function openReport(browser: Browser, html: string, name: string) {
  await mkdir(ARTIFACTS, { recursive: true });
  const shot = path.join(ARTIFACTS, `${name}.png`);
  await copyFile(html, path.join(ARTIFACTS, `${name}.html`));
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const url = pathToFileURL(html).href;
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('request', (r) => { if (r.url() !== url) problems.push(`request: ${r.url()}`); });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => document.body.dataset.rendered !== undefined, undefined, { timeout: 10_000 });
  const charts = await page.evaluate(inspectCharts);
  const text = await page.evaluate(() => document.body.innerText);
  await page.screenshot({ path: shot, fullPage: true });
  await page.close();
  console.log(`screenshot: ${shot}`);
  return { charts, text, problems };
}

/** Check every chart against the synthetic records of `runs` (one run = single-run labels). */
function checkCharts(charts: PageChart[], runs: [string, Rec[]][], expectIds: string[]): void {
  assert.deepEqual(charts.map((c) => c.id), expectIds);
  for (const c of charts) {
    assert.ok(c.canvasW > 300 && c.canvasH > 200, `${c.id}: canvas ${c.canvasW}x${c.canvasH}`);
    const expected: { label: string; points: [number, number][] }[] = [];
    for (const [run, recs] of runs) {
      for (const [kind, field, label] of SERIES[c.id]) {
        const points = expectedPoints(recs, kind, field);
        if (points.length > 0) expected.push({ label: runs.length === 1 ? label : `${run} · ${label}`, points });
      }
    }
    const data = c.datasets.filter((d) => !d.reference);
    assert.deepEqual(data.map((d) => d.label), expected.map((e) => e.label), `${c.id}: series`);
    data.forEach((d, i) => {
      assert.deepEqual(d.points, expected[i].points, `${c.id}/${d.label}: points`);
      // a line of a few dozen points covers well over 20 pixels in its own color
      assert.ok(d.colorPixels >= 20, `${c.id}/${d.label}: only ${d.colorPixels} pixels of ${d.color} in the plot area`);
    });
  }
}

test('report.html renders every chart with its data in headless Chromium', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`chromium not installed: ${CHROMIUM} missing (scripts/setup.sh installs it; or set TTRL_CHROMIUM)`);
    return;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ttrl-report-browser-'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  try {
    await t.test('single run: all thirteen charts', async () => {
      const recs = synthRecords({ steps: 48, evalEvery: 4, seed: 11, gold: true, gain: 0.35 });
      const runDir = path.join(dir, 'single-run');
      await writeRun(runDir, recs, CONFIG_YAML('ttrl', 5e-7), '{"kind":"step","step":49,"rew');
      const { charts, text, problems } = await openReport(browser, await writeReport(runDir), 'single');
      assert.deepEqual(problems, []);
      checkCharts(charts, [['single-run', recs]], Object.keys(SERIES));
      assert.match(text, /EVAL PASS@1/i);
    });

    await t.test('comparison: runs overlaid, base reference lines, charts without data left out', async () => {
      const omit = ['tokens_per_s', 'num_classes'] as const;
      const ttrl = synthRecords({ steps: 40, evalEvery: 4, seed: 12, gold: true, gain: 0.3, omit: [...omit] });
      const oracle = synthRecords({ steps: 40, evalEvery: 4, seed: 13, gold: true, gain: 0.45, omit: [...omit] });
      const cmp = path.join(dir, 'demo');
      await writeRun(path.join(cmp, 'ttrl'), ttrl, CONFIG_YAML('ttrl', 5e-7));
      await writeRun(path.join(cmp, 'oracle'), oracle, CONFIG_YAML('oracle', 5e-7));
      await writeFile(path.join(cmp, 'summary.json'), JSON.stringify({
        base: { pass1: 0.31, maj: 0.43 }, ttrl: { pass1: 0.6, maj: 0.62, label_acc: 0.7 }, oracle: { pass1: 0.7, maj: 0.72 }, seconds: 1234,
      }));
      const { charts, text, problems } = await openReport(browser, await writeReport(cmp), 'comparison');
      assert.deepEqual(problems, []);
      const ids = Object.keys(SERIES).filter((id) => id !== 'classes' && id !== 'throughput');
      checkCharts(charts, [['ttrl', ttrl], ['oracle', oracle]], ids);
      const refs = charts.find((c) => c.id === 'eval')!.datasets.filter((d) => d.reference);
      assert.deepEqual(refs.map((d) => [d.label, d.points.map((p) => p[1])]), [['base · pass@1', [0.31, 0.31]], ['base · maj@16', [0.43, 0.43]]]);
      assert.ok(refs.every((d) => d.colorPixels >= 20), `base lines not drawn: ${refs.map((d) => d.colorPixels)}`);
      assert.match(text, /Not shown, no data: Distinct answers per prompt .*Throughput/);
    });
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
});
