// The "sketch" demo: the models guess a sketch while it is drawn, show what they learned each guess
// from, and set "Draw this" challenges: a random category and 20 seconds to make the model see it.
import { guessWhileDrawing } from "./draw.js";
import { withRun } from "../components/run-member.js";
import { h } from "../dom.js";

const SECONDS = 20;
const TOP = 5;
const QUICK_DRAW_SIDE = 28; // the dataset's bitmaps: strokes one pixel wide at 28x28

export function mount(root, { experiment, members, run }) {
  const challenge = createChallenge(experiment);
  root.append(challenge.element);
  const pad = guessWhileDrawing(root, {
    experiment, members: withRun(members, experiment, run), top: TOP, fitStrokes: QUICK_DRAW_SIDE,
    hint: `Draw one of ${experiment.details.labels.length} things (a cat, a bicycle, the Eiffel Tower…) with a mouse, a finger or a pen.`,
    onGuess: (id, prediction) => id === experiment.id && challenge.check(prediction),
  });
  challenge.onStart(() => pad.clear());
}

function createChallenge(experiment) {
  const start = h("button", { type: "button", "data-testid": "challenge-start" }, "Draw this");
  const target = h("strong", { "data-testid": "challenge-target" });
  const clock = h("span", { class: "clock", "data-testid": "challenge-clock" });
  const status = h("p", { class: "challenge-status", role: "status", "data-testid": "challenge-status" },
    `Press “Draw this” for a challenge: a random thing to draw and ${SECONDS} seconds to make the model see it.`);
  const element = h("section", { class: "challenge", "data-testid": "challenge" }, start,
    h("p", { class: "challenge-task" }, target, clock), status);
  element.dataset.state = "idle";
  const startListeners = [];
  let deadline = 0;
  let timer = null;
  let lastGuess = null;

  function finish(state, text) {
    clearInterval(timer);
    element.dataset.state = state;
    status.textContent = text;
    clock.textContent = "";
    start.textContent = "Another one";
  }

  function tick() {
    const left = Math.max(0, deadline - performance.now()) / 1000;
    clock.textContent = `${Math.ceil(left)} s left`;
    if (left > 0) return;
    const guessed = lastGuess ? ` Its last guess was ${lastGuess.label}.` : " Nothing was drawn.";
    finish("missed", `Time is up: the model did not see ${target.textContent}.${guessed}`);
  }

  start.addEventListener("click", () => {
    const labels = experiment.details.labels;
    target.textContent = labels[Math.floor(Math.random() * labels.length)];
    startListeners.forEach((listener) => listener());
    lastGuess = null;
    deadline = performance.now() + SECONDS * 1000;
    element.dataset.state = "running";
    status.textContent = "Draw it! The model is watching.";
    clearInterval(timer);
    timer = setInterval(tick, 250);
    tick();
  });

  function check(prediction) {
    if (element.dataset.state !== "running") return;
    lastGuess = prediction;
    if (prediction?.label === target.textContent) {
      const took = SECONDS - (deadline - performance.now()) / 1000;
      finish("won", `Got it! The model saw ${prediction.label} after ${took.toFixed(1)} s.`);
    }
  }

  return { element, check, onStart: (listener) => startListeners.push(listener) };
}
