// The "generate" demo: pictures an image generator draws.
//
// A GAN: a grid of pictures drawn from a seed (the same seed draws the same pictures); two of them picked (A and
// B) and the way between their latent points, straight or along the sphere, drawn as a strip and walked with a
// slider that redraws as it moves.
//
// A conditional VAE: a digit picked, and its plane of styles walked with the pointer (mouse, finger, pen) or the
// arrow keys, the digit under the pointer drawn large as it moves; a drawing of one's own placed on that plane by
// the encoder, and then morphed into another digit at the same point.
//
// With a lab run's model (?run=RUN, "Play with it"), the page draws with it, and a switch goes back to the
// shipped model. Each part's data-state says where it is: idle, drawing or encoding, drawn or encoded, error.

import { postImage, postJSON } from "../api.js";
import { createChoice } from "../components/choice.js";
import { modelUrl, withRun } from "../components/run-member.js";
import { h } from "../dom.js";
import { ganDemo } from "./generate-gan.js";
import { vaeDemo } from "./generate-vae.js";

export function mount(root, { experiment, run }) {
  const models = withRun([experiment], experiment, run); // the shipped model, and the run's once it has one
  let model = models.at(-1); // "Play with it" brings the run's model: draw with it first
  const ask = (body) => postJSON(modelUrl(model, "pictures"), body);
  const encode = (blob, query) => postImage(modelUrl(model, "encode", query), blob);
  const current = () => model;

  const demo = experiment.details.conditional
    ? vaeDemo(experiment, { ask, encode, current })
    : ganDemo(experiment, { ask });
  const element = h("div", { class: `gen-demo ${experiment.details.conditional ? "gen-vae" : "gen-gan"}`, "data-testid": "generate-demo" });
  if (models.length > 1) {
    element.append(modelChoice(models, model, (chosen) => {
      model = chosen;
      demo.start();
    }));
  }
  root.append(element);
  if (!model.trained) {
    element.append(h("p", { class: "gen-problem untrained", "data-testid": "gen-problem" },
      model.problem || "This model is not trained yet."));
    return;
  }
  element.append(...demo.elements);
  demo.start();
}

// Which model draws: the shipped one or the lab run's.
function modelChoice(models, chosen, onChange) {
  const choice = createChoice({
    label: "Draw with", value: chosen.id, className: "gen-models",
    options: models.map((m) => ({ value: m.id, testid: `gen-model-${m.id}`,
                                  text: m.run ? m.title.replace(/^Your run/, "your run") : "the shipped model" })),
    onChange: (id) => onChange(models.find((m) => m.id === id)),
  });
  choice.element.dataset.testid = "gen-models";
  return choice.element;
}
