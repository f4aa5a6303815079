// The generate demo for a GAN: pictures from a seed, and the way between two of them.

import { createChoice } from "../components/choice.js";
import { newestOnly } from "../components/newest.js";
import { createPictureGrid } from "../components/picture-grid.js";
import { count, h } from "../dom.js";
import { bigPicture, errorLine, round, slider } from "../components/generator-parts.js";

const GRID = 16; // pictures from a seed
const STEPS = 10; // pictures on the way from A to B, both included
const randomSeed = () => Math.floor(Math.random() * 2 ** 32);

const lerp = (a, b, t) => a.map((v, i) => v + (b[i] - v) * t);
const norm = (a) => Math.hypot(...a);

// Along the great circle between a and b, their lengths blended: in many dimensions, a normal distribution's
// points lie near a sphere, and the straight line between two of them cuts inside it, where the network was
// trained on few points.
function slerp(a, b, t) {
  const [na, nb] = [norm(a), norm(b)];
  const cos = Math.max(-1, Math.min(1, a.reduce((s, v, i) => s + v * b[i], 0) / (na * nb || 1)));
  const omega = Math.acos(cos);
  if (omega < 1e-4) return lerp(a, b, t);
  const [p, q] = [Math.sin((1 - t) * omega) / Math.sin(omega), Math.sin(t * omega) / Math.sin(omega)];
  return a.map((v, i) => p * v + q * b[i]);
}

export function ganDemo(experiment, { ask }) {
  const { limits } = experiment.details;
  const limit = (point) => point.map((v) => round(Math.max(-limits.latent, Math.min(limits.latent, v))));
  let latents = [];
  let drawing = 0; // the newest seed asked for: an older answer is not drawn over it

  // The grid.
  const error = errorLine("gen-error");
  const seedInput = h("input", { id: "gen-seed", type: "number", min: "0", max: String(limits.seed), step: "1",
                                 inputmode: "numeric", "data-testid": "seed", "aria-describedby": "gen-seed-hint" });
  const about = h("p", { class: "gen-about muted", "data-testid": "grid-about", "aria-live": "polite" });
  const gridElement = h("div");
  const grid = createPictureGrid(gridElement, { label: `${GRID} pictures from the seed`, onPick: drawPath });
  const gridSection = h("section", { class: "gen-panel gen-seeds", "data-testid": "gen-grid", "data-state": "idle",
                                     "aria-labelledby": "gen-grid-heading" },
    h("h3", { id: "gen-grid-heading" }, `${GRID} pictures from one seed`),
    h("form", { class: "gen-seed-form", novalidate: true, onsubmit: (e) => { e.preventDefault(); drawSeed(seedInput.value); } },
      h("label", { for: "gen-seed" }, "Seed"), seedInput,
      h("button", { type: "submit", "data-testid": "draw" }, "Draw"),
      h("button", { type: "button", "data-testid": "new-seed", onclick: () => drawSeed(randomSeed()) }, "New seed")),
    h("p", { id: "gen-seed-hint", class: "hint" }, `A seed is a whole number from 0 to ${count(limits.seed)}: it picks ${GRID} `
      + "points of the latent space, and the same seed always draws the same pictures. Pick two pictures, A and B, to walk between them."),
    error.element, gridElement, about);

  async function drawSeed(value) {
    if (String(value).trim() === "") {
      error.say(`Type a seed first: a whole number from 0 to ${count(limits.seed)}.`);
      return;
    }
    const seed = Number(value);
    const asked = ++drawing;
    gridSection.dataset.state = "drawing";
    try {
      const answer = await ask({ seed, count: GRID });
      if (asked !== drawing) return;
      latents = answer.latents;
      seedInput.value = String(answer.seed);
      grid.show(answer.pictures);
      about.textContent = `Seed ${answer.seed}: ${answer.pictures.length} pictures, drawn in ${answer.milliseconds.toFixed(1)} ms on the server.`;
      gridSection.dataset.seed = String(answer.seed);
      gridSection.dataset.state = "drawn";
      error.say("");
      if (grid.picked.length < 2) grid.pick([0, 1]);
      else drawPath(grid.picked);
    } catch (e) {
      if (asked !== drawing) return;
      gridSection.dataset.state = "error";
      error.say(e.message);
    }
  }

  // The way between A and B: a strip of STEPS pictures, and a slider along it.
  const pathError = errorLine("path-error");
  const way = createChoice({
    label: "Way", value: "spherical", className: "gen-way", onChange: () => drawPath(grid.picked),
    options: [{ value: "spherical", text: "along the sphere", testid: "path-spherical" },
      { value: "linear", text: "straight line", testid: "path-linear" }],
  });
  const strip = h("ol", { class: "gen-strip", "data-testid": "strip", "aria-label": `${STEPS} pictures on the way from A to B` });
  const stripNote = h("p", { class: "muted gen-strip-note", "data-testid": "strip-note" });
  const walkPicture = bigPicture("walk-picture", "Pick two pictures to walk between them.");
  const walk = slider("gen-walk", "Walk from A to B", (t) => `${Math.round(t * 100)}% of the way`, "walk");
  walk.input.disabled = true;
  const pathSection = h("section", { class: "gen-panel gen-path", "data-testid": "gen-path", "data-state": "idle",
                                     "aria-labelledby": "gen-path-heading" },
    h("h3", { id: "gen-path-heading" }, "From one picture to another"),
    h("div", { class: "gen-path-controls" },
      h("button", { type: "button", "data-testid": "pick-two", onclick: () => pickTwo() }, "Pick two at random"),
      way.element),
    h("p", { class: "hint" }, "Along the sphere keeps the points as far from the centre as the ones the network was trained "
      + "on; the straight line passes nearer the centre, where it drew from few points."),
    pathError.element, strip, stripNote,
    h("div", { class: "gen-walk" }, walkPicture.element, walk.element));

  function pickTwo() {
    if (!latents.length) return;
    const a = Math.floor(Math.random() * latents.length);
    const b = (a + 1 + Math.floor(Math.random() * (latents.length - 1))) % latents.length;
    grid.pick([a, b]);
  }

  const pointAt = (t) => {
    const [a, b] = grid.picked.map((i) => latents[i]);
    return limit((way.value === "linear" ? lerp : slerp)(a, b, t));
  };

  let pathAsked = 0;
  async function drawPath(picked) {
    const asked = ++pathAsked;
    if (picked.length < 2 || !latents.length) {
      strip.replaceChildren();
      stripNote.textContent = picked.length ? "Pick one more picture (B)." : "Pick two pictures above, A and B.";
      walk.input.disabled = true;
      walkPicture.clear("Pick two pictures to walk between them.");
      pathSection.dataset.state = "idle";
      return;
    }
    pathSection.dataset.state = "drawing";
    const points = Array.from({ length: STEPS }, (_, i) => pointAt(i / (STEPS - 1)));
    try {
      const answer = await ask({ latents: points });
      if (asked !== pathAsked) return;
      const [a, b] = picked.map((i) => i + 1);
      strip.replaceChildren(...answer.pictures.map((src, i) => h("li", { "data-testid": `strip-${i}` },
        h("img", { src, width: 28, height: 28,
                   alt: i === 0 ? `A (picture ${a})` : i === STEPS - 1 ? `B (picture ${b})` : `Step ${i} of ${STEPS - 1} from A to B` }),
        h("span", { class: "strip-label", "aria-hidden": "true" }, i === 0 ? "A" : i === STEPS - 1 ? "B" : ""))));
      stripNote.textContent = `From picture ${a} (A) to picture ${b} (B), ${way.value === "linear" ? "in a straight line" : "along the sphere"}.`;
      walk.input.disabled = false;
      pathSection.dataset.state = "drawn";
      pathError.say("");
      wantWalk(walk.t);
    } catch (e) {
      if (asked !== pathAsked) return;
      pathSection.dataset.state = "error";
      pathError.say(e.message);
    }
  }

  const wantWalk = newestOnly(
    (t) => ask({ latents: [pointAt(t)] }),
    (answer, t) => {
      const words = `${Math.round(t * 100)}% of the way from A to B`;
      walkPicture.show(answer.pictures[0], `The picture ${words}`, words);
      walkPicture.element.dataset.frames = String(Number(walkPicture.element.dataset.frames ?? 0) + 1);
      pathError.say("");
    },
    (e) => pathError.say(e.message),
  );
  walk.input.addEventListener("input", () => grid.picked.length === 2 && wantWalk(walk.t));

  return {
    elements: [gridSection, pathSection],
    start: () => drawSeed(seedInput.value || randomSeed()),
  };
}
