// The report's stylesheet: system fonts only (nothing to fetch), cards on a light grey page, charts in a
// responsive grid (two columns on a laptop screen, one on a narrow one).
export const REPORT_CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:#111827;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1400px;margin:0 auto;padding:24px}
header h1{margin:0 0 2px;font-size:24px}
.kind{font-size:13px;font-weight:500;color:#374151;background:#e5e7eb;border-radius:10px;padding:2px 10px;vertical-align:middle}
h2{font-size:16px;margin:0 0 10px}
h3{font-size:14px;margin:0}
.dim{color:#6b7280;font-size:12.5px;margin:2px 0}
.up{color:#15803d;font-weight:600}
.down{color:#b91c1c;font-weight:600}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:14px 16px;margin:14px 0}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:12px;margin:16px 0}
.tile{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:12px 14px}
.tl{color:#6b7280;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.tv{font-size:26px;font-weight:650;margin:2px 0;white-space:nowrap}
.delta{font-size:14px;margin-left:4px}
.ts{color:#6b7280;font-size:12px}
table{border-collapse:collapse;width:100%}
table.narrow{width:auto;min-width:50%}
th,td{padding:6px 10px;border-bottom:1px solid #f0f1f3;text-align:left;vertical-align:top}
thead th{color:#6b7280;font-weight:600;font-size:12px;border-bottom:1px solid #e5e7eb}
table.num td{font-variant-numeric:tabular-nums;white-space:nowrap}
tbody th{font-weight:600}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:14px}
.grid .card{margin:0}
figure{margin:0}
figcaption{margin-bottom:6px}
.box{position:relative;height:300px}
.notes ul{margin:0;padding-left:18px;color:#92400e}
.omitted{margin:14px 2px}
details summary{cursor:pointer;list-style:none}
details summary h2{display:inline;margin-right:10px}
.kv{columns:3 300px;column-gap:28px;margin:10px 0 0}
.kv div{display:flex;gap:10px;break-inside:avoid;padding:2px 0;border-bottom:1px dotted #eceef1}
.kv dt{color:#6b7280;flex:0 0 auto;max-width:60%;overflow-wrap:anywhere}
.kv dd{margin:0 0 0 auto;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px;text-align:right;overflow-wrap:anywhere}
footer{margin:18px 2px}
`;
