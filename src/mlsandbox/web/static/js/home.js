// The home page: one card per experiment in the registry, each linking to its demo page.
import { getJSON } from "./api.js";
import { h, showMessage } from "./dom.js";

function card(experiment) {
  // A model the server cannot serve (missing, damaged, not the one its card describes): what is wrong and the fix.
  const accuracy = !experiment.trained
    ? h("p", { class: "accuracy untrained problem", "data-testid": `problem-${experiment.id}` },
      h("strong", {}, "Not being served. "), experiment.problem)
    : h("p", { class: "accuracy" }, h("strong", {}, experiment.headline));
  return h("li", {},
    h("a", { class: "card", href: `/experiments/${encodeURIComponent(experiment.id)}`, "data-testid": `experiment-${experiment.id}` },
      h("h2", {}, experiment.title),
      h("p", {}, experiment.summary),
      accuracy));
}

const list = document.querySelector("[data-testid=experiments]");
try {
  list.append(...(await getJSON("/api/experiments")).map(card));
} catch (error) {
  showMessage(error.message);
} finally {
  list.setAttribute("aria-busy", "false");
}
