// A line chart in SVG, as wide as its element: several series over one x axis, a legend that names each
// series with its latest value (the chart's text alternative), and dashed vertical marks with a label.
//
//   const chart = createLineChart(element, { label: "Loss", xLabel: "epoch", format: (y) => y.toFixed(3), tick: String,
//     series: [{ key: "train", name: "training loss" }, { key: "val", name: "validation loss", dots: true }] });
//   chart.update({ train: [[x, y], ...], val: [...] }, { xMax: 10, marks: [{ x: 2.5, label: "lr 0.01" }] });
//
// Points that are not finite numbers are left out. Each series' <polyline> has data-series and data-count
// (the points drawn). Call update as often as you like; it draws at most once per animation frame.

import { h } from "../dom.js";

const NS = "http://www.w3.org/2000/svg";
const HEIGHT = 210;
const MARGIN = { left: 46, right: 12, top: 12, bottom: 30 };
const MAX_DOTS = 60; // more would blur into a thick line

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null) el.setAttribute(k, v);
  if (text != null) el.textContent = text;
  return el;
}

// About n round numbers spanning [lo, hi].
export function ticks(lo, hi, n = 4) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const step = [1, 2, 2.5, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(raw))).find((s) => s >= raw);
  const out = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

export function createLineChart(root, { label, xLabel, format = (y) => String(y), tick = (y) => String(y), yMin = null,
                                        yMax = null, series }) {
  const plot = svg("svg", { class: "line-chart", role: "img", height: HEIGHT, "aria-label": label });
  const legend = h("ul", { class: "chart-legend" });
  const values = new Map();
  for (const s of series) {
    const value = h("span", { class: "chart-value" }, "–");
    values.set(s.key, value);
    legend.append(h("li", { class: `series-${s.key}` }, h("span", { class: `swatch${s.dots ? " dots" : ""}`, "aria-hidden": "true" }),
      `${s.name} `, value));
  }
  root.classList.add("chart");
  root.append(plot, legend);

  let data = {};
  let options = {};
  let frame = 0;
  let width = 0;

  function draw() {
    frame = 0;
    width = root.clientWidth || 300;
    plot.setAttribute("width", width);
    plot.setAttribute("viewBox", `0 0 ${width} ${HEIGHT}`);
    const clean = Object.fromEntries(series.map((s) => [s.key, (data[s.key] ?? []).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))]));
    const all = Object.values(clean).flat();
    const xs = all.map(([x]) => x);
    const ys = all.map(([, y]) => y);
    const x1 = Math.max(options.xMax ?? 0, ...xs, 1e-9);
    let y0 = yMin ?? Math.min(0, ...ys);
    let y1 = yMax ?? Math.max(...ys, y0 + 1e-9);
    if (!(y1 > y0)) [y0, y1] = [0, 1];
    if (yMax == null) y1 += (y1 - y0) * 0.05;
    const [left, right, top, bottom] = [MARGIN.left, width - MARGIN.right, MARGIN.top, HEIGHT - MARGIN.bottom];
    const X = (x) => left + (x / x1) * (right - left);
    const Y = (y) => bottom - ((y - y0) / (y1 - y0)) * (bottom - top);

    const parts = [];
    for (const t of ticks(y0, y1)) {
      parts.push(svg("line", { class: "grid", x1: left, x2: right, y1: Y(t), y2: Y(t) }),
        svg("text", { class: "tick", x: left - 6, y: Y(t), "text-anchor": "end", "dominant-baseline": "middle" }, tick(t)));
    }
    const along = ticks(0, x1, Math.max(2, Math.floor((right - left) / 70)));
    const whole = along.filter(Number.isInteger); // whole epochs, where there are enough of them
    for (const t of whole.length >= 2 ? whole : along) {
      parts.push(svg("text", { class: "tick", x: X(t), y: bottom + 14, "text-anchor": "middle" }, String(t)));
    }
    parts.push(svg("line", { class: "axis", x1: left, x2: right, y1: bottom, y2: bottom }),
      svg("text", { class: "axis-label", x: right, y: HEIGHT - 2, "text-anchor": "end" }, xLabel));
    for (const mark of options.marks ?? []) {
      if (!Number.isFinite(mark.x)) continue;
      parts.push(svg("line", { class: "mark", x1: X(mark.x), x2: X(mark.x), y1: top, y2: bottom }),
        svg("text", { class: "mark-label", x: X(mark.x) + 3, y: top + 9 }, mark.label));
    }
    for (const s of series) {
      const points = clean[s.key];
      parts.push(svg("polyline", { class: `series-${s.key}`, "data-series": s.key, "data-count": points.length,
                                   points: points.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(" ") }));
      if (s.dots && points.length <= MAX_DOTS) for (const [x, y] of points) parts.push(svg("circle", { class: `series-${s.key}`, cx: X(x), cy: Y(y), r: 3.5 }));
      const last = points.at(-1);
      values.get(s.key).textContent = last ? format(last[1]) : "–";
    }
    plot.replaceChildren(...parts);
    const said = series.map((s) => clean[s.key].length && `${s.name} ${format(clean[s.key].at(-1)[1])}`).filter(Boolean);
    plot.setAttribute("aria-label", said.length ? `${label}: latest ${said.join(", ")}` : `${label}: no points yet`);
  }

  const schedule = () => { frame ||= requestAnimationFrame(draw); };
  new ResizeObserver(() => root.clientWidth !== width && schedule()).observe(root);

  function update(next, nextOptions = {}) {
    data = next;
    options = nextOptions;
    schedule();
  }

  update({});
  return { update };
}
