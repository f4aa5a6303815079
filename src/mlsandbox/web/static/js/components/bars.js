// A horizontal bar chart of probabilities, one row per label in a fixed order.
//
//   const chart = createBars(element, ["0", "1", ...]);
//   chart.update([{ label: "3", probability: 0.91 }, ...]);  // or update(null) to empty it

import { h, percent } from "../dom.js";

export function createBars(root, labels) {
  root.classList.add("bars");
  const rows = new Map(labels.map((label) => {
    const fill = h("span", { class: "fill" });
    const value = h("span", { class: "value" });
    const row = h("div", { class: "row", role: "img" }, h("span", { class: "name" }, label), h("span", { class: "track" }, fill), value);
    root.append(row);
    return [label, { row, fill, value }];
  }));

  function update(ranked) {
    const probability = new Map((ranked ?? []).map((g) => [g.label, g.probability]));
    const top = ranked?.[0]?.label;
    for (const [label, { row, fill, value }] of rows) {
      const p = probability.get(label) ?? 0;
      fill.style.width = percent(p);
      value.textContent = ranked ? percent(p) : "";
      row.classList.toggle("top", label === top);
      row.setAttribute("aria-label", ranked ? `${label}: ${percent(p)}` : `${label}: no guess yet`);
    }
  }

  update(null);
  return { update };
}
