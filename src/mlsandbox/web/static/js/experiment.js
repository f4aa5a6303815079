// An experiment page: its title, the demo component its `demo` kind names, the lab's Train panel, and how
// each model was trained. With ?run=RUN (a lab run of this experiment), a finished run's model plays in the
// demo beside the shipped ones, where the demo can ask it.
import { getJSON } from "./api.js";
import { showMessage } from "./dom.js";
import { isPretrained, modelCard } from "./components/model-card.js";
import { mountLab } from "./components/lab.js";
import { hasModel } from "./components/run-member.js";

// Demo kind -> module exporting mount(element, { experiment, members, run }).
const DEMOS = {
  draw: () => import("./demos/draw.js"),
  sketch: () => import("./demos/sketch.js"),
  translate: () => import("./demos/translate.js"),
  text: () => import("./demos/text.js"),
  photo: () => import("./demos/photo.js"),
  detect: () => import("./demos/detect.js"),
  faces: () => import("./demos/faces.js"),
  game: () => import("./demos/game.js"),
  generate: () => import("./demos/generate.js"),
};
const PLAYS_RUNS = new Set(["draw", "sketch", "translate", "text", "generate"]); // demos that take { run }

// The lab run the URL names: { run } or { missing: why } (the lab says it), or {} without one.
async function namedRun() {
  const id = new URLSearchParams(location.search).get("run");
  if (!id) return {};
  try {
    return { run: await getJSON(`/api/runs/${encodeURIComponent(id)}`) };
  } catch (error) {
    return { missing: `Run ${id} cannot be shown: ${error.message}` };
  }
}

async function main() {
  const id = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
  const runPromise = namedRun();
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
  const demo = await load();
  const demoRoot = document.querySelector("#demo");
  const { run = null, missing = null } = await runPromise;
  let playing = null; // the run whose model the demo asks too
  const showDemo = (withRun) => {
    demoRoot.replaceChildren();
    playing = withRun;
    demo.mount(demoRoot, { experiment, members, run: withRun });
  };
  const plays = PLAYS_RUNS.has(experiment.demo);
  showDemo(plays && run?.experiment === id && hasModel(run) ? run : null);

  await mountLab(document.querySelector("#lab"), {
    experiment, run, missing,
    onPlay: plays ? (trained) => {
      if (playing?.id !== trained.id) showDemo(trained);
      const motion = matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
      demoRoot.scrollIntoView({ behavior: motion, block: "start" });
    } : null,
  });
}

const page = document.querySelector("main");
main()
  .catch((error) => showMessage(error.message))
  .finally(() => page.setAttribute("aria-busy", "false"));
