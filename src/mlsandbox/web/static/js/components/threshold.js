// The camera pages' "lowest score shown" slider, from 5% to 100% in steps of 5%: its value shown as it moves,
// and onChange called once it is let go.
//
//   const settings = createThreshold({ value: 0.35, label: "Lowest score shown ", hint: "lower: more boxes",
//                                      onChange: (value) => ... });  // an element to place on the page

import { h, percent } from "../dom.js";

export function createThreshold({ value, label, hint, onChange }) {
  const slider = h("input", { id: "threshold", type: "range", min: "0.05", max: "1", step: "0.05", value,
                              "data-testid": "threshold" });
  const shown = h("output", { for: "threshold", "data-testid": "threshold-value" }, percent(value, 0));
  slider.addEventListener("input", () => (shown.textContent = percent(Number(slider.value), 0)));
  slider.addEventListener("change", () => onChange(Number(slider.value)));
  return h("div", { class: "detect-settings" }, h("label", { for: "threshold" }, label, shown), slider,
    h("span", { class: "muted" }, hint));
}
