/**
 * Draws dashboard panels as inline SVG line charts in one HTML page, from values a test computed out of real
 * /metrics scrapes (no Grafana here). Only for the docs picture: the numbers are what the bridge exported.
 */
export interface Series {
  name: string;
  values: number[];
}

export interface Panel {
  title: string;
  unit: 'ratio' | 'seconds' | 'count';
  series: Series[];
}

const COLORS = ['#73bf69', '#f2495c', '#5794f2', '#ff9830', '#b877d9', '#fade2a', '#8ab8ff', '#ff7383'];
const W = 560;
const H = 220;
const PAD = { left: 56, right: 12, top: 12, bottom: 26 };

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function format(value: number, unit: Panel['unit']): string {
  if (unit === 'ratio') return `${Math.round(value * 100)}%`;
  if (unit === 'seconds') return value < 1 ? `${Math.round(value * 1000)} ms` : `${value.toFixed(1)} s`;
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function chart(panel: Panel): string {
  const steps = Math.max(1, ...panel.series.map((s) => s.values.length)) - 1 || 1;
  const top = Math.max(1e-9, ...panel.series.flatMap((s) => s.values.filter(Number.isFinite)));
  // Counts get whole-number grid lines (a multiple of 4); ratios run to 100%.
  const max = panel.unit === 'ratio' ? 1 : panel.unit === 'count' ? Math.max(4, Math.ceil(top / 4) * 4) : top;
  const x = (i: number) => PAD.left + (i / steps) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - v / max) * (H - PAD.top - PAD.bottom);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (f) =>
        `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(f * max)}" y2="${y(f * max)}" stroke="#2c3235"/>` +
        `<text x="${PAD.left - 6}" y="${y(f * max) + 4}" text-anchor="end">${escapeHtml(format(f * max, panel.unit))}</text>`,
    )
    .join('');
  const ticks = Array.from({ length: steps + 1 }, (_, i) => `<text x="${x(i)}" y="${H - 8}" text-anchor="middle">${i + 1}</text>`).join('');
  const lines = panel.series
    .map((s, n) => {
      const points = s.values.map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : '')).filter(Boolean);
      return `<polyline fill="none" stroke="${COLORS[n % COLORS.length]}" stroke-width="2"${n % 2 ? ' stroke-dasharray="6 3"' : ''} points="${points.join(' ')}"/>`;
    })
    .join('');
  const legend = panel.series.map((s, n) => `<span><i style="background:${COLORS[n % COLORS.length]}"></i>${escapeHtml(s.name)}</span>`).join('');
  return `<section><h2>${escapeHtml(panel.title)}</h2><svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${grid}${ticks}${lines}</svg><div class="legend">${legend}</div></section>`;
}

export function panelsPage(title: string, subtitle: string, panels: Panel[]): string {
  return `<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;padding:16px;background:#111217;color:#ccccdc;font:12px/1.4 system-ui,sans-serif}
h1{font-size:18px;margin:0 0 2px}p{margin:0 0 12px;color:#8e8e9e}
main{display:grid;grid-template-columns:repeat(2,${W + 18}px);gap:10px}
section{background:#181b1f;border:1px solid #2c3235;border-radius:3px;padding:8px}
h2{font-size:13px;margin:0 0 4px;font-weight:500}svg text{fill:#8e8e9e;font-size:10px}
.legend{display:flex;flex-wrap:wrap;gap:4px 12px;margin-top:4px}.legend i{display:inline-block;width:12px;height:3px;margin-right:4px;vertical-align:middle}
</style></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(subtitle)}</p><main>${panels.map(chart).join('')}</main></body></html>`;
}
