// An image generator in the lab: the grid of pictures it draws from the same latent points at each validation
// ("watch it learn to draw"), what the judge reads in each picture, and a strip of the grids before it.
//
//   const show = drawings(element, experiment, started.view);  // { labels, columns, rows, parts }
//   show(validation.view, validation, grids);  // view: { drawn: dataURL, readings: [{ label, probability }] };
//                                               // grids: every validation's grid so far, [{ src, epoch }]
//
// A conditional model's pictures are of each digit in turn (picture i of digit i mod 10): a reading is right when
// it is that digit. A GAN's is sure when the judge's probability reaches CONFIDENT, as its card counts them.

import { count, h, percent } from "../dom.js";

const SIDE = 28; // pixels of a picture in the grid
const GAP = 2; // pixels between them
const CONFIDENT = 0.9;
const HISTORY = 6; // earlier grids kept in the strip

export function drawings(root, experiment, started = {}) {
  const columns = started.columns ?? 8;
  const rows = started.rows ?? 4;
  const labels = started.labels ?? experiment.details?.labels ?? [];
  const conditional = Boolean(experiment.details?.conditional);
  const judge = experiment.details?.judge ?? "the judge";
  const n = columns * rows;
  const [width, height] = [columns * (SIDE + GAP) - GAP, rows * (SIDE + GAP) - GAP];

  const img = h("img", { alt: "", "data-testid": "lab-drawn-grid" });
  const readings = h("ol", { class: "lab-readings", "aria-hidden": "true" });
  const summary = h("p", { class: "lab-drawn-summary", "data-testid": "lab-drawn-summary" });
  const history = h("ol", { class: "lab-drawn-history", "data-testid": "lab-drawn-history", "aria-label": "The grids it drew before" });
  root.append(h("section", { class: "lab-view", "data-testid": "lab-drawn" },
    h("h4", {}, `Watch it learn to draw: ${n} pictures from the same latent points after each epoch`),
    h("figure", { class: "lab-drawn" }, img, readings), summary, history));

  return (view, validation, grids = []) => {
    if (!view.drawn) return;
    img.src = view.drawn;
    const before = grids.filter((g) => g.epoch < validation?.epoch).slice(-HISTORY);
    history.replaceChildren(...before.map((g) => h("li", {}, h("figure", {},
      h("img", { src: g.src, alt: `The grid after epoch ${g.epoch}` }), h("figcaption", {}, `epoch ${g.epoch}`)))));
    history.hidden = !before.length;

    const read = (view.readings ?? []).slice(0, n);
    const good = read.map((r, i) => (conditional ? r.label === i % labels.length : r.probability >= CONFIDENT));
    readings.replaceChildren(...read.map((r, i) => h("li", {
      "data-sure": String(good[i]),
      style: `left: ${(((i % columns) * (SIDE + GAP)) / width) * 100}%; top: ${((Math.floor(i / columns) * (SIDE + GAP)) / height) * 100}%; `
        + `width: ${(SIDE / width) * 100}%; height: ${(SIDE / height) * 100}%`,
    }, h("span", {}, labels[r.label] ?? String(r.label)))));
    const right = good.filter(Boolean).length;
    const what = conditional
      ? `${count(right)} of ${count(read.length)} read by ${judge} as the digit asked for (each row asks for 0 to 9 in turn; red: read as another)`
      : `${count(right)} of ${count(read.length)} read by ${judge} with confidence, ${percent(CONFIDENT, 0)} or more (red: less sure)`;
    summary.textContent = read.length ? `${what}.` : "";
    img.alt = `The ${n} pictures it draws after epoch ${validation?.epoch ?? "?"}`
      + (read.length ? `: ${judge} reads them as ${read.map((r) => labels[r.label] ?? r.label).join(", ")}.` : ".");
  };
}
