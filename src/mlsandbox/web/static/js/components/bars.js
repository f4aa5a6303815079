// A horizontal bar chart of probabilities: one row per label in a fixed order, or with { top: k }
// k rows that show the k most likely labels, whatever they are (for many labels).
//
//   const chart = createBars(element, ["0", "1", ...]);
//   chart.update([{ label: "3", probability: 0.91 }, ...]);  // or update(null) to empty it

import { h, percent } from "../dom.js";

export function createBars(root, labels, { top = 0 } = {}) {
  root.classList.add("bars");
  if (top) root.classList.add("ranked");
  const rows = (top ? Array.from({ length: top }, () => "") : labels).map((label) => {
    const name = h("span", { class: "name" }, label);
    const fill = h("span", { class: "fill" });
    const value = h("span", { class: "value" });
    const row = h("div", { class: "row", role: "img" }, name, h("span", { class: "track" }, fill), value);
    root.append(row);
    return { label, name, row, fill, value };
  });

  function update(ranked) {
    const probability = new Map((ranked ?? []).map((g) => [g.label, g.probability]));
    rows.forEach((r, i) => {
      if (top) r.name.textContent = r.label = ranked?.[i]?.label ?? "";
      const p = probability.get(r.label) ?? 0;
      r.fill.style.width = percent(p);
      r.value.textContent = ranked ? percent(p) : "";
      r.row.classList.toggle("top", Boolean(ranked) && r.label === ranked[0]?.label);
      r.row.setAttribute("aria-label", ranked ? `${r.label}: ${percent(p)}` : `${r.label || "guess " + (i + 1)}: no guess yet`);
    });
  }

  update(null);
  return { update };
}
