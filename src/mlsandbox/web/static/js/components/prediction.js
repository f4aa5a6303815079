// One classifier's answer: its top label in large type, bars for the labels, and the input it saw.
//
//   const view = createPrediction(element, experiment);  // experiment as /api/experiments/{id} gives it
//   view.show(prediction);  // a Prediction from the predict endpoint; view.reset() empties it
//
// With { top: k } (for many labels) it speaks ("I see a cat … or maybe a dog"), shows bars for the k
// most likely labels only, and a few training examples of its guess.

import { createBars } from "./bars.js";
import { createExamples } from "./examples.js";
import { drawPixels } from "./pixels.js";
import { appendTo, h, percent } from "../dom.js";

export function createPrediction(root, experiment, { current = false, top = 0 } = {}) {
  const label = h("output", { class: top ? "top-label spoken" : "top-label", "data-testid": `label-${experiment.id}` });
  const confidence = h("span", { class: "confidence" });
  const runnerUp = h("p", { class: "runner-up", "data-testid": `runner-up-${experiment.id}` });
  const chart = h("div", { "data-testid": `bars-${experiment.id}` });
  const seen = h("canvas", { class: "seen", "data-testid": `input-${experiment.id}` });
  const timing = h("span", { class: "timing" });
  const examples = top ? createExamples(h("figure", { class: "examples" }), experiment) : null;

  root.classList.add("prediction");
  root.classList.toggle("current", current);
  appendTo(root,
    h("h3", {}, experiment.title.replace(/^[^:]*:\s*/, ""), current && h("span", { class: "badge" }, "this page")),
    h("p", { class: "answer" }, top ? h("span", { class: "says" }, "I see") : null, label, confidence),
    top ? runnerUp : null,
    ...(experiment.trained ? [] : [h("p", { class: "untrained" }, experiment.problem)]),
    chart,
    examples?.element,
    h("figure", { class: "seen-figure" }, seen, h("figcaption", {}, "What the model sees", h("br"), timing)),
  );
  const bars = createBars(chart, experiment.details.labels, { top });

  function reset() {
    label.textContent = "–";
    confidence.textContent = runnerUp.textContent = timing.textContent = "";
    bars.update(null);
    examples?.show(null);
    drawPixels(seen, [[0]]);
  }

  function show(prediction) {
    const [first, second] = prediction.ranked;
    label.textContent = prediction.label;
    confidence.textContent = percent(first.probability);
    runnerUp.textContent = second ? `… or maybe ${second.label} (${percent(second.probability)})` : "";
    timing.textContent = `${prediction.milliseconds.toFixed(1)} ms on the server`;
    bars.update(prediction.ranked);
    examples?.show(prediction.label);
    if (prediction.input) drawPixels(seen, prediction.input);
  }

  reset();
  return { show, reset };
}
