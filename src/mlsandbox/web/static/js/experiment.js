// An experiment page: its title, the demo component its `demo` kind names, and how each model was trained.
import { getJSON } from "./api.js";
import { showMessage } from "./dom.js";
import { isPretrained, modelCard } from "./components/model-card.js";

// Demo kind -> module exporting mount(element, { experiment, members }).
const DEMOS = {
  draw: () => import("./demos/draw.js"),
  sketch: () => import("./demos/sketch.js"),
  translate: () => import("./demos/translate.js"),
  text: () => import("./demos/text.js"),
  photo: () => import("./demos/photo.js"),
  detect: () => import("./demos/detect.js"),
  game: () => import("./demos/game.js"),
};

async function main() {
  const id = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
  const experiment = await getJSON(`/api/experiments/${encodeURIComponent(id)}`);
  const members = await Promise.all(
    experiment.family_members.map((m) => (m === id ? experiment : getJSON(`/api/experiments/${encodeURIComponent(m)}`))),
  );

  document.title = `${experiment.title} · Interactive Machine Learning Experiments`;
  document.querySelector("#title").textContent = experiment.title;
  document.querySelector("#summary").textContent = experiment.summary;
  document.querySelector("#models").append(...members.map(modelCard));
  if (members.every(isPretrained)) {
    document.querySelector("#training-heading").textContent = "Pretrained: where the weights come from";
  }

  const load = DEMOS[experiment.demo];
  if (!load) throw new Error(`This page cannot show "${experiment.demo}" demos yet.`);
  (await load()).mount(document.querySelector("#demo"), { experiment, members });
}

const page = document.querySelector("main");
main()
  .catch((error) => showMessage(error.message))
  .finally(() => page.setAttribute("aria-busy", "false"));
