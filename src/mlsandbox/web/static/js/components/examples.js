// A strip of training examples of one label: what the model learned that label from.
//
//   const examples = createExamples(figureElement, experiment);
//   examples.show("cat");  // or show(null) to hide it

import { h } from "../dom.js";

const COUNT = 6;

export function createExamples(element, experiment) {
  const image = h("img", { alt: "", "data-testid": `examples-${experiment.id}`, width: COUNT * 32, height: 32 });
  const caption = h("figcaption");
  element.append(image, caption);
  let shown = null;

  function show(label) {
    element.hidden = label == null;
    if (label == null || label === shown) return;
    shown = label;
    const query = new URLSearchParams({ label, count: COUNT });
    image.src = `/api/experiments/${encodeURIComponent(experiment.source ?? experiment.id)}/examples?${query}`;
    image.alt = `${COUNT} drawings of ${label} from the training set`;
    caption.textContent = `What “${label}” looked like in training`;
  }

  show(null);
  return { element, show };
}
