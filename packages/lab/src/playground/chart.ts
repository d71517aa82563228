/**
 * A small line chart on a <canvas> for the playground: bits per character (y) against training
 * step (x), one line per series, with axes, ticks and a legend. Redrawn whole on every point.
 */
export interface Series {
  label: string;
  color: string;
  points: { x: number; y: number }[];
}

const PAD = { left: 48, right: 12, top: 24, bottom: 28 };

/** Rounded tick values covering [lo, hi], about `n` of them. */
function ticks(lo: number, hi: number, n: number): number[] {
  const span = hi - lo || 1;
  const step0 = span / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(6)));
  return out;
}

export function drawChart(canvas: HTMLCanvasElement, series: Series[], xMax: number): void {
  const ctx = canvas.getContext('2d')!;
  const { width: w, height: h } = canvas;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, w, h);
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter(Number.isFinite);
  const yLo = ys.length ? Math.min(...ys) : 0;
  const yHi = ys.length ? Math.max(...ys) : 1;
  const pad = (yHi - yLo) * 0.1 || 0.5;
  const [y0, y1] = [Math.max(0, yLo - pad), yHi + pad];
  const px = (x: number) => PAD.left + (x / Math.max(xMax, 1)) * (w - PAD.left - PAD.right);
  const py = (y: number) => h - PAD.bottom - ((y - y0) / (y1 - y0)) * (h - PAD.top - PAD.bottom);

  ctx.strokeStyle = '#cccccc';
  ctx.fillStyle = '#444444';
  ctx.font = '11px sans-serif';
  ctx.lineWidth = 1;
  for (const t of ticks(y0, y1, 4)) {
    ctx.beginPath();
    ctx.moveTo(PAD.left, py(t));
    ctx.lineTo(w - PAD.right, py(t));
    ctx.stroke();
    ctx.fillText(t.toFixed(2), 4, py(t) + 4);
  }
  for (const t of ticks(0, xMax, 5)) ctx.fillText(String(t), px(t) - 8, h - 8);
  ctx.fillText('bits per character vs step', PAD.left, 14);

  series.forEach((s, i) => {
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    s.points.forEach((p, k) => (k === 0 ? ctx.moveTo(px(p.x), py(p.y)) : ctx.lineTo(px(p.x), py(p.y))));
    ctx.stroke();
    for (const p of s.points) ctx.fillRect(px(p.x) - 2, py(p.y) - 2, 5, 5);
    ctx.fillRect(w - PAD.right - 90, PAD.top + 14 * i - 6, 12, 4);
    ctx.fillText(s.label, w - PAD.right - 74, PAD.top + 14 * i);
  });
}
