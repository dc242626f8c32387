// The script that runs inside report.html: it reads the chart specs embedded in the page and draws each one
// with Chart.js (inlined beside it). `renderCharts` is serialised with Function.prototype.toString, so it
// must be self-contained: no imports, no references to anything outside its own body.
import type { ChartSpec, ValueFormat } from './charts.js';

// Chart.js's UMD bundle defines this global; the types stay loose on purpose (no DOM typings of Chart.js
// are needed for twenty lines of configuration).
declare const Chart: any;

/**
 * Draw every `<canvas data-chart=ID>` from the JSON in `<script id="ttrl-data">`. Leaves
 * `window.__ttrlCharts = {ID: ChartInstance}` for tests, and sets `document.body.dataset.rendered`.
 */
export function renderCharts(): void {
  const fmt = (v: number, f: ValueFormat, tick: boolean): string => {
    if (f === 'pct') return `${Number((v * 100).toFixed(tick ? 1 : 2))}%`;
    const a = Math.abs(v);
    const body = a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(tick ? 1 : 3) : String(Number(v.toPrecision(tick ? 3 : 4)));
    return f === 'sec' ? `${body} s` : body;
  };
  const specs = JSON.parse(document.getElementById('ttrl-data')!.textContent!) as ChartSpec[];
  const instances: Record<string, unknown> = {};
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = '#4b5563';
  for (const spec of specs) {
    const canvas = document.querySelector(`canvas[data-chart="${spec.id}"]`);
    if (!canvas) continue;
    const formats: Record<string, ValueFormat> = { y: spec.y.format, y2: spec.y2?.format ?? 'num' };
    const datasets = spec.series.map((s, i) => ({
      label: s.label,
      data: s.points.map(([x, y]) => ({ x, y })),
      borderColor: s.color,
      backgroundColor: spec.stacked ? `${s.color}40` : s.color,
      borderDash: s.dash,
      borderWidth: s.reference ? 1.5 : 2,
      // dots only where points are sparse (evals, short runs); dense step curves read better as lines
      pointRadius: s.reference || s.points.length > 20 ? 0 : 2.5,
      pointHoverRadius: 4,
      yAxisID: s.axis,
      fill: spec.stacked ? (i === 0 ? 'origin' : '-1') : false,
      spanGaps: true,
      // draw references behind the runs' own lines
      order: s.reference ? 1 : 0,
    }));
    const axis = (a: { label: string; format: ValueFormat }, right: boolean) => ({
      type: 'linear',
      position: right ? 'right' : 'left',
      stacked: spec.stacked && !right,
      beginAtZero: a.format === 'pct' || spec.stacked,
      title: { display: true, text: a.label },
      grid: right ? { drawOnChartArea: false } : { color: '#e5e7eb' },
      ticks: { callback: (v: number) => fmt(v, a.format, true), maxTicksLimit: 7 },
    });
    const scales: Record<string, unknown> = {
      x: {
        // suggested (not fixed) bounds: every chart spans the same steps, rounded out to tidy ticks
        type: 'linear', suggestedMin: spec.xRange[0], suggestedMax: spec.xRange[1],
        title: { display: true, text: spec.x.label },
        grid: { color: '#f3f4f6' },
        ticks: { precision: 0, maxTicksLimit: 11 },
      },
      y: axis(spec.y, false),
    };
    if (spec.y2) scales.y2 = axis(spec.y2, true);
    // the step where a collapse signal fired: a dashed red vertical line across the plot, labelled at the top
    const markerPlugin = {
      id: 'ttrlMarkers',
      afterDatasetsDraw(chart: any) {
        const { ctx, chartArea: a, scales: sc } = chart;
        for (const m of spec.markers ?? []) {
          const px = sc.x.getPixelForValue(m.x);
          if (!(px >= a.left && px <= a.right)) continue;
          ctx.save();
          ctx.strokeStyle = '#dc2626'; ctx.setLineDash([5, 4]); ctx.lineWidth = 1.5;
          ctx.beginPath(); ctx.moveTo(px, a.top); ctx.lineTo(px, a.bottom); ctx.stroke();
          ctx.fillStyle = '#dc2626'; ctx.font = '11px sans-serif'; ctx.fillText(`⚠ ${m.label}`, Math.min(px + 3, a.right - 90), a.top + 11);
          ctx.restore();
        }
      },
    };
    instances[spec.id] = new Chart(canvas, {
      type: 'line',
      plugins: [markerPlugin],
      data: { datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales,
        plugins: {
          legend: {
            position: 'bottom',
            // a zero-height box is stroked as a short line in the dataset's own dash pattern, which
            // tells ttrl · pass@1 (solid) from ttrl · maj@16 (dashed); point-style legends drop the dash
            labels: { boxWidth: 30, boxHeight: 0, padding: 14 },
          },
          tooltip: {
            callbacks: {
              title: (items: { parsed: { x: number } }[]) => `step ${items[0]?.parsed.x}`,
              label: (c: { dataset: { label: string; yAxisID: string }; parsed: { y: number } }) =>
                `${c.dataset.label}: ${fmt(c.parsed.y, formats[c.dataset.yAxisID], false)}`,
            },
          },
        },
      },
    });
  }
  (window as unknown as { __ttrlCharts: unknown }).__ttrlCharts = instances;
  document.body.dataset.rendered = String(Object.keys(instances).length);
}
