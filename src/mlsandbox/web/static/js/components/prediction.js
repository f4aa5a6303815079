// One classifier's answer: its top label in large type, a bar per label, and the input it saw.
//
//   const view = createPrediction(element, experiment);  // experiment as /api/experiments/{id} gives it
//   view.show(prediction);  // a Prediction from the predict endpoint; view.reset() empties it

import { createBars } from "./bars.js";
import { drawPixels } from "./pixels.js";
import { h, percent } from "../dom.js";

export function createPrediction(root, experiment, { current = false } = {}) {
  const label = h("output", { class: "top-label", "data-testid": `label-${experiment.id}` });
  const confidence = h("span", { class: "confidence" });
  const chart = h("div", { "data-testid": `bars-${experiment.id}` });
  const seen = h("canvas", { class: "seen", width: 28, height: 28, "data-testid": `input-${experiment.id}` });
  const timing = h("span", { class: "timing" });

  root.classList.add("prediction");
  root.classList.toggle("current", current);
  root.append(
    h("h3", {}, experiment.title.replace(/^[^:]*:\s*/, ""), current && h("span", { class: "badge" }, "this page")),
    h("p", { class: "answer" }, label, confidence),
    ...(experiment.trained ? [] : [h("p", { class: "untrained" }, "Not trained yet: ", h("code", {}, `mlsandbox train ${experiment.id}`))]),
    chart,
    h("figure", { class: "seen-figure" }, seen, h("figcaption", {}, "What the model sees", h("br"), timing)),
  );
  const bars = createBars(chart, experiment.labels);

  function reset() {
    label.textContent = "–";
    confidence.textContent = "";
    timing.textContent = "";
    bars.update(null);
    drawPixels(seen, Array.from({ length: 28 }, () => new Array(28).fill(0)));
  }

  function show(prediction) {
    label.textContent = prediction.label;
    confidence.textContent = percent(prediction.ranked[0].probability);
    timing.textContent = `${prediction.milliseconds.toFixed(1)} ms on the server`;
    bars.update(prediction.ranked);
    if (prediction.input) drawPixels(seen, prediction.input);
  }

  reset();
  return { show, reset };
}
