// Which charts the report draws, as a table of definitions, and the pure function that turns runs into chart
// specs (plain data, JSON-serialisable, no plotting library types). A chart whose fields are absent in every
// run is omitted with a reason instead of being drawn empty.
import type { EvalField, RunMetrics, StepField } from './metrics.js';
import type { Summary } from './load.js';

/** How an axis prints its values: pct = a fraction shown as %, sec = seconds, num = plain/exponent. */
export type ValueFormat = 'pct' | 'num' | 'sec';

export interface AxisSpec { label: string; format: ValueFormat }

export interface SeriesSpec {
  label: string;
  color: string;
  /** Canvas line dash ([] = solid). */
  dash: number[];
  axis: 'y' | 'y2';
  /** (step, value) pairs sorted by step; missing values are simply absent. */
  points: [number, number][];
  /** A horizontal reference (the base model from summary.json), not a run's own data. */
  reference: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  /** One line on what the chart shows. */
  about: string;
  x: AxisSpec;
  y: AxisSpec;
  y2?: AxisSpec;
  /** Fill and stack the series (time split of a single run). */
  stacked: boolean;
  /** The step range shared by all charts, so they line up vertically. */
  xRange: [number, number];
  series: SeriesSpec[];
  /** Steps marked with a vertical line on every chart: where a run's collapse signal fired. */
  markers: { x: number; label: string }[];
}

export interface OmittedChart { id: string; title: string; reason: string }

type MetricDef =
  | { source: 'step'; field: StepField; label: string; axis?: 'y2' }
  | { source: 'eval'; field: EvalField; label: string; axis?: 'y2' };

interface ChartDef {
  id: string;
  title: string;
  about: string;
  y: AxisSpec;
  y2?: AxisSpec;
  metrics: MetricDef[];
  /** Stack the metrics when there is a single run (they add up to a whole). */
  stackSingle?: boolean;
  /** Draw summary.json's base row for these metrics as horizontal lines. */
  baseRefs?: boolean;
}

const PCT = (label: string): AxisSpec => ({ label, format: 'pct' });
const NUM = (label: string): AxisSpec => ({ label, format: 'num' });

/** The report's charts, in page order. Metric names follow the trainer's metrics.jsonl contract. */
export const CHART_DEFS: ChartDef[] = [
  {
    id: 'eval', title: 'Evaluation accuracy', y: PCT('accuracy'), baseRefs: true,
    about: 'pass@1 = mean correctness of k samples per test problem; maj@k = majority vote over them',
    metrics: [
      { source: 'eval', field: 'pass1', label: 'pass@1' },
      { source: 'eval', field: 'maj', label: 'maj@k' },
      { source: 'eval', field: 'best', label: 'best@k' },
      { source: 'eval', field: 'greedy', label: 'greedy' },
    ],
  },
  {
    id: 'labels', title: 'Label and reward accuracy', y: PCT('accuracy'),
    about: 'gold diagnostics: voted label is correct; rewards equal the gold-label rewards (gold never enters the reward)',
    metrics: [
      { source: 'step', field: 'label_acc', label: 'label accuracy' },
      { source: 'step', field: 'reward_acc', label: 'reward accuracy' },
    ],
  },
  {
    id: 'rollout', title: 'Rollout correctness', y: PCT('share of prompts / responses'),
    about: 'gold diagnostics on the training rollouts: share of correct responses, prompts with any correct',
    metrics: [
      { source: 'step', field: 'rollout_pass1', label: 'rollout pass@1' },
      { source: 'step', field: 'rollout_passn', label: 'rollout pass@N' },
    ],
  },
  {
    id: 'proxy', title: 'Proxy reward against gold', y: NUM('correlation'), y2: PCT('accuracy'),
    about: 'gold diagnostics: point-biserial correlation of the reward with gold correctness; gold accuracy of each prompt\'s top-reward response (right axis)',
    metrics: [
      { source: 'step', field: 'pb_corr', label: 'point-biserial r' },
      { source: 'step', field: 'pseudo_label_acc', label: 'pseudo-label accuracy', axis: 'y2' },
    ],
  },
  {
    id: 'reward', title: 'Mean reward and vote share', y: PCT('share'), y2: NUM('mean reward'),
    about: 'mean reward on the right (ttrl: share of responses agreeing with the voted label; other modes: their own scale); vote share = the winner\'s share of votes',
    metrics: [
      { source: 'step', field: 'reward_mean', label: 'mean reward', axis: 'y2' },
      { source: 'step', field: 'vote_share', label: 'vote share' },
      { source: 'step', field: 'no_answer_frac', label: 'no answer' },
    ],
  },
  {
    id: 'classes', title: 'Distinct answers per prompt', y: NUM('answers'),
    about: 'number of different (equivalence-grouped) final answers among the N votes',
    metrics: [{ source: 'step', field: 'num_classes', label: 'distinct answers' }],
  },
  {
    id: 'length', title: 'Response length', y: NUM('tokens'), y2: PCT('truncated'),
    about: 'tokens per response (mean, max) and share cut at the length limit (right axis)',
    metrics: [
      { source: 'step', field: 'resp_len_mean', label: 'mean length' },
      { source: 'step', field: 'resp_len_max', label: 'max length' },
      { source: 'step', field: 'truncated_frac', label: 'truncated', axis: 'y2' },
    ],
  },
  {
    id: 'entropy', title: 'Policy entropy and self-certainty', y: NUM('nats / token'), y2: NUM('self-certainty'),
    about: 'token entropy of all rollouts and of the trained responses; self-certainty KL(U || p) on the right; a collapse to 0 entropy means exploration has stopped',
    metrics: [
      { source: 'step', field: 'rollout_entropy', label: 'rollout entropy' },
      { source: 'step', field: 'entropy', label: 'update entropy' },
      { source: 'step', field: 'self_certainty', label: 'self-certainty', axis: 'y2' },
    ],
  },
  {
    id: 'kl', title: 'KL to the reference policy', y: NUM('KL (k3)'),
    about: 'low-variance k3 estimate, token mean',
    metrics: [{ source: 'step', field: 'kl', label: 'KL' }],
  },
  {
    id: 'optim', title: 'Gradient norm and learning rate', y: NUM('grad norm'), y2: NUM('learning rate'),
    about: 'gradient norm before clipping; learning rate on the right axis',
    metrics: [
      { source: 'step', field: 'grad_norm', label: 'grad norm' },
      { source: 'step', field: 'lr', label: 'learning rate', axis: 'y2' },
    ],
  },
  {
    id: 'loss', title: 'Loss and clip fraction', y: NUM('loss'), y2: PCT('clipped'),
    about: 'policy loss (with KL term); share of tokens whose ratio was clipped on the right axis',
    metrics: [
      { source: 'step', field: 'loss', label: 'loss' },
      { source: 'step', field: 'clip_frac', label: 'clip fraction', axis: 'y2' },
    ],
  },
  {
    id: 'time', title: 'Time per step', y: { label: 'seconds', format: 'sec' }, stackSingle: true,
    about: 'wall time of each phase of a training step',
    metrics: [
      { source: 'step', field: 't_rollout', label: 'rollout' },
      { source: 'step', field: 't_grade', label: 'grade' },
      { source: 'step', field: 't_update', label: 'update' },
    ],
  },
  {
    id: 'throughput', title: 'Throughput', y: NUM('tokens / s'),
    about: 'generated tokens per second during rollout',
    metrics: [{ source: 'step', field: 'tokens_per_s', label: 'tokens/s' }],
  },
];

/** One run as the charts see it. */
export interface ChartRun { name: string; metrics: RunMetrics }

const METRIC_COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];
const RUN_COLORS: Record<string, string> = { ttrl: '#2563eb', oracle: '#16a34a', base: '#6b7280' };
const OTHER_RUN_COLORS = ['#dc2626', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];
const DASHES = [[], [7, 4], [2, 3], [10, 3, 2, 3]];
const BASE_COLOR = '#6b7280';

/** Color per run: fixed for the usual names so ttrl is blue in every report. */
export function runColors(names: string[]): string[] {
  let other = 0;
  return names.map((n) => RUN_COLORS[n] ?? OTHER_RUN_COLORS[other++ % OTHER_RUN_COLORS.length]);
}

function points(m: RunMetrics, def: MetricDef): [number, number][] {
  const out: [number, number][] = [];
  const records: Array<{ step: number } & Record<string, number | undefined>> = def.source === 'step' ? m.steps : m.evals;
  for (const r of records) {
    const v = r[def.field];
    if (v !== undefined) out.push([r.step, v]);
  }
  return out;
}

/** "maj@k" → "maj@16" with the run's eval sample count, when known. */
function withK(label: string, k: number | undefined): string {
  return k === undefined ? label : label.replace('@k', `@${k}`);
}

function stepRange(runs: ChartRun[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of runs) {
    for (const rec of [...r.metrics.steps, ...r.metrics.evals]) {
      lo = Math.min(lo, rec.step);
      hi = Math.max(hi, rec.step);
    }
  }
  return Number.isFinite(lo) ? [lo, Math.max(hi, lo + 1)] : [0, 1];
}

/**
 * Build the chart specs for `runs` (one run = single-run report, several = overlay, one line per run and
 * metric: color = run, dash = metric). `summary`'s row named "base" adds horizontal reference lines on
 * charts with baseRefs. Returns the charts with data, and the omitted ones with a reason.
 */
export function buildCharts(runs: ChartRun[], summary?: Summary): { charts: ChartSpec[]; omitted: OmittedChart[] } {
  const charts: ChartSpec[] = [];
  const omitted: OmittedChart[] = [];
  const single = runs.length === 1;
  const colors = runColors(runs.map((r) => r.name));
  const xRange = stepRange(runs);
  const base = summary?.rows.find((r) => r.name === 'base')?.values;
  const markers = runs.flatMap((r) => r.metrics.collapses.slice(0, 1).map((x) => ({ x, label: single ? 'collapse signal' : `${r.name}: collapse` })));
  for (const def of CHART_DEFS) {
    const series: SeriesSpec[] = [];
    runs.forEach((run, ri) => {
      const k = run.metrics.evals.find((e) => e.k !== undefined)?.k;
      def.metrics.forEach((md, mi) => {
        const pts = points(run.metrics, md);
        if (pts.length === 0) return;
        const label = withK(md.label, k);
        series.push({
          label: single ? label : `${run.name} · ${label}`,
          color: single ? METRIC_COLORS[mi % METRIC_COLORS.length] : colors[ri],
          dash: single ? [] : DASHES[mi % DASHES.length],
          axis: md.axis ?? 'y',
          points: pts,
          reference: false,
        });
      });
    });
    if (series.length === 0) {
      const fields = def.metrics.map((m) => m.field).join(', ');
      omitted.push({ id: def.id, title: def.title, reason: `no ${fields} in metrics.jsonl` });
      continue;
    }
    if (def.baseRefs && base) {
      const k = runs.flatMap((r) => r.metrics.evals).find((e) => e.k !== undefined)?.k;
      def.metrics.forEach((md, mi) => {
        const v = base[md.field];
        if (v === undefined) return;
        series.push({
          label: `base · ${withK(md.label, k)}`,
          color: single ? METRIC_COLORS[mi % METRIC_COLORS.length] : BASE_COLOR,
          dash: single ? [7, 4] : DASHES[mi % DASHES.length],
          axis: md.axis ?? 'y',
          points: [[xRange[0], v], [xRange[1], v]],
          reference: true,
        });
      });
    }
    // Only draw a right axis that carries a series; if only right-axis series exist, they take the left one.
    let y = def.y;
    let y2 = series.some((s) => s.axis === 'y2') ? def.y2 : undefined;
    if (y2 && !series.some((s) => s.axis === 'y')) {
      y = y2;
      y2 = undefined;
      for (const s of series) s.axis = 'y';
    }
    charts.push({
      id: def.id, title: def.title, about: def.about, x: { label: 'training step', format: 'num' },
      y, y2, stacked: single && (def.stackSingle ?? false), xRange, series, markers,
    });
  }
  return { charts, omitted };
}
