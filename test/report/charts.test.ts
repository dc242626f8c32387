import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCharts, CHART_DEFS, type ChartSpec } from '../../src/report/charts.js';
import { parseMetrics } from '../../src/report/metrics.js';
import { parseSummary } from '../../src/report/load.js';
import { expectedPoints, synthRecords, type Rec } from './synth.js';

const parse = (recs: Rec[]) => parseMetrics(recs.map((r) => JSON.stringify(r)).join('\n'));
const byId = (charts: ChartSpec[], id: string) => {
  const c = charts.find((x) => x.id === id);
  assert.ok(c, `chart ${id} missing; have ${charts.map((x) => x.id).join(', ')}`);
  return c;
};

test('buildCharts: a full single run gets every chart, with the file\'s points', () => {
  const recs = synthRecords({ steps: 20, evalEvery: 4, seed: 1, gold: true, gain: 0.3 });
  const { charts, omitted } = buildCharts([{ name: 'run1', metrics: parse(recs) }]);
  assert.deepEqual(charts.map((c) => c.id), CHART_DEFS.map((d) => d.id));
  assert.deepEqual(omitted, []);
  const ev = byId(charts, 'eval');
  // greedy is null in every eval record, so it is not a series; k=16 names maj@16
  assert.deepEqual(ev.series.map((s) => s.label), ['pass@1', 'maj@16', 'best@16']);
  assert.deepEqual(ev.series[0].points, expectedPoints(recs, 'eval', 'pass1'));
  assert.deepEqual(byId(charts, 'kl').series[0].points, expectedPoints(recs, 'step', 'kl'));
  const len = byId(charts, 'length');
  assert.deepEqual(len.series.map((s) => s.axis), ['y', 'y', 'y2']);
  assert.equal(len.y2?.format, 'pct');
  assert.equal(byId(charts, 'time').stacked, true);
  // all charts share the step range 0..20 (eval at step 0)
  assert.ok(charts.every((c) => c.xRange[0] === 0 && c.xRange[1] === 20));
  // each series of one chart has its own color in a single run
  for (const c of charts) assert.equal(new Set(c.series.map((s) => s.color)).size, c.series.length, c.id);
});

test('buildCharts: without gold labels the gold-diagnostic charts are omitted with the missing fields named', () => {
  const recs = synthRecords({ steps: 6, evalEvery: 2, seed: 2, gold: false, gain: 0.1, omit: ['tokens_per_s'] });
  const { charts, omitted } = buildCharts([{ name: 'r', metrics: parse(recs) }]);
  assert.deepEqual(omitted.map((o) => o.id), ['labels', 'rollout', 'proxy', 'throughput']);
  assert.equal(omitted[0].reason, 'no label_acc, reward_acc in metrics.jsonl');
  assert.equal(charts.length, CHART_DEFS.length - 4);
});

test('buildCharts: a right-axis-only chart moves its series to the left axis; an empty right axis is dropped', () => {
  const recs = synthRecords({ steps: 5, evalEvery: 5, seed: 3, gold: true, gain: 0.1, omit: ['grad_norm', 'truncated_frac'] });
  const { charts } = buildCharts([{ name: 'r', metrics: parse(recs) }]);
  const optim = byId(charts, 'optim');
  assert.deepEqual(optim.series.map((s) => [s.label, s.axis]), [['learning rate', 'y']]);
  assert.equal(optim.y.label, 'learning rate');
  assert.equal(optim.y2, undefined);
  assert.equal(byId(charts, 'length').y2, undefined);
});

test('buildCharts: a comparison overlays runs (color per run, dash per metric) and adds base reference lines', () => {
  const ttrl = synthRecords({ steps: 10, evalEvery: 2, seed: 4, gold: true, gain: 0.3 });
  const oracle = synthRecords({ steps: 8, evalEvery: 2, seed: 5, gold: true, gain: 0.4 });
  const summary = parseSummary('{"base":{"pass1":0.3,"maj":0.42},"ttrl":{"pass1":0.6},"seconds":12}');
  const { charts } = buildCharts([{ name: 'ttrl', metrics: parse(ttrl) }, { name: 'oracle', metrics: parse(oracle) }], summary);
  const ev = byId(charts, 'eval');
  assert.deepEqual(ev.series.map((s) => s.label), [
    'ttrl · pass@1', 'ttrl · maj@16', 'ttrl · best@16', 'oracle · pass@1', 'oracle · maj@16', 'oracle · best@16',
    'base · pass@1', 'base · maj@16',
  ]);
  assert.deepEqual(ev.series[3].points, expectedPoints(oracle, 'eval', 'pass1'));
  const refs = ev.series.filter((s) => s.reference);
  assert.deepEqual(refs.map((s) => s.points), [[[0, 0.3], [10, 0.3]], [[0, 0.42], [10, 0.42]]]);
  const ttrlColors = new Set(ev.series.filter((s) => s.label.startsWith('ttrl')).map((s) => s.color));
  assert.deepEqual([...ttrlColors], ['#2563eb']);
  assert.deepEqual(ev.series.slice(0, 3).map((s) => s.dash), [[], [7, 4], [2, 3]]);
  // no stacking across runs; references only where the base row has the metric
  assert.equal(byId(charts, 'time').stacked, false);
  assert.ok(byId(charts, 'labels').series.every((s) => !s.reference));
});

test('collapse: steps with collapse = true become a marker on every chart (first firing per run; a rewritten step wins)', () => {
  const recs = synthRecords({ steps: 8, evalEvery: 4, seed: 6, gold: true, gain: 0.1 });
  for (const r of recs) if (r.kind === 'step') r.collapse = (r.step as number) >= 5;
  const m = parse([...recs, { kind: 'step', step: 5, collapse: false }]);  // a resumed run rewrote step 5
  assert.deepEqual(m.collapses, [6, 7, 8]);
  const { charts } = buildCharts([{ name: 'run', metrics: m }]);
  for (const c of charts) assert.deepEqual(c.markers, [{ x: 6, label: 'collapse signal' }], c.id);
  const none = buildCharts([{ name: 'run', metrics: parse(synthRecords({ steps: 3, evalEvery: 3, seed: 1, gold: true, gain: 0 })) }]);
  assert.ok(none.charts.every((c) => c.markers.length === 0));
});
