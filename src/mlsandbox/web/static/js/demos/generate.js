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
import { createDrawPad } from "../components/draw.js";
import { createLatentPlane, gridPoints, pointText } from "../components/latent-plane.js";
import { newestOnly } from "../components/newest.js";
import { createPictureGrid } from "../components/picture-grid.js";
import { modelUrl, withRun } from "../components/run-member.js";
import { count, h, percent } from "../dom.js";

const GRID = 16; // pictures from a seed
const STEPS = 10; // pictures on the way from A to B, both included
const RANGE = 3; // the plane shows -3..3 on each axis: nearly all of a standard normal
const MAP_COLUMNS = 8; // the plane's map: 8 x 8 pictures, one request

const randomSeed = () => Math.floor(Math.random() * 2 ** 32);
const round = (v) => Math.round(v * 1e4) / 1e4;

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

// A line that says what went wrong, in words; hidden when all is well.
function errorLine(testid) {
  const element = h("p", { class: "gen-error", role: "alert", "data-testid": testid, hidden: true });
  return {
    element,
    say(text) {
      element.textContent = text || "";
      element.hidden = !text;
    },
  };
}

// One picture drawn large (pixels kept square), with a caption.
function bigPicture(testid, caption = "", className = "gen-big") {
  const img = h("img", { class: "gen-picture", alt: "", width: 28, height: 28, "data-testid": testid });
  const text = h("figcaption", {}, caption);
  const element = h("figure", { class: className, "data-state": "empty" }, img, text);
  return {
    element,
    img,
    caption: text,
    show(src, alt, words = alt) {
      img.src = src;
      img.alt = alt;
      text.textContent = words;
      element.dataset.state = "drawn";
    },
    clear(words = caption) {
      img.removeAttribute("src");
      img.alt = "";
      text.textContent = words;
      element.dataset.state = "empty";
    },
  };
}

// A slider from 0 to 100 with its label and the value in words.
function slider(id, label, words, testid) {
  const input = h("input", { id, type: "range", min: "0", max: "100", step: "1", value: "0", "data-testid": testid });
  const output = h("output", { for: id, class: "gen-slider-value" });
  const show = () => {
    const text = words(Number(input.value) / 100);
    output.textContent = text;
    input.setAttribute("aria-valuetext", text);
  };
  input.addEventListener("input", show);
  show();
  return {
    element: h("div", { class: "gen-slider" }, h("label", { for: id }, label), input, output),
    input,
    show,
    get t() {
      return Number(input.value) / 100;
    },
  };
}

// --- A GAN: pictures from a seed, and the way between two of them --------------------------------------------

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

function ganDemo(experiment, { ask }) {
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

// --- A conditional VAE: a digit's plane of styles, and a drawing of one's own placed on it ---------------------

function vaeDemo(experiment, { ask, encode, current }) {
  const { labels, limits, judge } = experiment.details;
  const keep = (point) => point.map((v) => round(Math.max(-limits.latent, Math.min(limits.latent, v))));
  const maps = new Map(); // model id and digit -> the map's pictures
  let digit = 0;
  let placed = null; // where the encoder placed the drawing (the encode answer)
  let lastBlob = null; // the drawing, to place again when the model or the digit asked changes
  let placing = 0; // the newest drawing sent: an older answer is not shown over it

  // The digit.
  const picker = createChoice({
    label: "The digit to draw", value: 0, className: "gen-digits", onChange: (i) => setDigit(i),
    options: labels.map((label, i) => ({ value: i, text: label, testid: `digit-${i}` })),
  });
  picker.element.dataset.testid = "digit-picker";

  // The plane, and the digit under the pointer.
  const planeError = errorLine("plane-error");
  const under = bigPicture("plane-picture", "Move over the plane to draw.");
  const planeElement = h("div", { "data-testid": "latent-plane" });
  const want = newestOnly(
    ({ point, asked }) => ask({ latents: [keep(point)], digit: asked }),
    (answer, { point, asked }) => {
      const words = `A ${labels[asked]} drawn at ${pointText(point)}`;
      under.show(answer.pictures[0], words, words);
      plane.countFrame();
      planeError.say("");
    },
    (e) => planeError.say(e.message),
  );
  const plane = createLatentPlane(planeElement, {
    range: RANGE, label: "The plane of styles: move over it to draw the digit at each point",
    hint: "Move over the plane with a mouse, a finger or a pen; or focus it and use the arrow keys (Shift: bigger "
      + "steps, Home: the centre). Each point is a way of writing the digit.",
    onMove: (point) => want({ point, asked: digit }),
  });
  const planeSection = h("section", { class: "gen-panel gen-plane", "data-testid": "gen-plane", "aria-labelledby": "gen-plane-heading" },
    h("h3", { id: "gen-plane-heading" }, "Walk through its plane of styles"),
    picker.element, planeError.element,
    h("div", { class: "gen-plane-row" }, planeElement, under.element));

  async function drawMap(asked) {
    const key = `${current().id}:${asked}`;
    try {
      if (!maps.has(key)) maps.set(key, (await ask({ latents: gridPoints(RANGE, MAP_COLUMNS), digit: asked })).pictures);
      if (asked === digit) await plane.setMap(maps.get(key), MAP_COLUMNS);
    } catch (e) {
      planeError.say(e.message);
    }
  }

  function setDigit(i) {
    digit = i;
    picker.set(i);
    planeSection.dataset.digit = String(i);
    drawMap(i);
    want({ point: plane.point, asked: i });
    if (!readIt.checked && lastBlob) place(lastBlob);
  }

  // Your drawing: where the encoder places it, and a slider that morphs it into another digit.
  const padError = errorLine("encode-error");
  const padElement = h("div");
  const readIt = h("input", { type: "checkbox", id: "gen-read", checked: true, "data-testid": "read-digit",
                              onchange: () => lastBlob && place(lastBlob) });
  const said = h("p", { class: "gen-read", "data-testid": "encode-read", "aria-live": "polite" },
    "Draw a digit: the encoder places it on its digit's plane.");
  const latent = h("output", { class: "gen-latent", "data-testid": "encode-latent" });
  const seen = bigPicture("encode-input", "What the encoder saw", "gen-small");
  const kept = bigPicture("encode-picture", "What the decoder draws there", "gen-small");
  const morphPicture = bigPicture("morph-picture", "", "gen-small");
  morphPicture.caption.textContent = "At your digit's point";
  const target = h("select", { id: "gen-target", "data-testid": "morph-target", onchange: () => morph() },
    labels.map((label, i) => h("option", { value: String(i) }, label)));
  const morphSlider = slider("gen-morph", "Mix", (t) => (placed
    ? `${Math.round((1 - t) * 100)}% ${labels[placed.digit]}, ${Math.round(t * 100)}% ${labels[Number(target.value)]}`
    : `${Math.round(t * 100)}%`), "morph");
  const morphArea = h("div", { class: "gen-morph", "data-testid": "gen-morph", hidden: true },
    h("div", { class: "gen-morph-head" }, h("label", { for: "gen-target" }, "Morph your digit into a"), target),
    h("div", { class: "gen-walk" }, morphPicture.element, morphSlider.element));
  const result = h("div", { class: "gen-result", "data-testid": "encode-result", hidden: true },
    h("div", { class: "gen-result-pictures" }, seen.element, kept.element), morphArea);
  const padSection = h("section", { class: "gen-panel gen-own", "data-testid": "gen-encode", "data-state": "empty",
                                    "aria-labelledby": "gen-own-heading" },
    h("h3", { id: "gen-own-heading" }, "Where does your digit land?"),
    h("div", { class: "gen-own-row" },
      h("div", { class: "gen-pad" }, padElement,
        h("label", { class: "toggle gen-read-toggle" }, readIt, `${judge} reads which digit it is (else: the digit picked above)`)),
      h("div", { class: "gen-own-result" }, padError.element, said, latent, result)));
  const pad = createDrawPad(padElement, { hint: "Draw one digit, 0 to 9, with a mouse, a finger or a pen." });

  function forget(words) {
    placed = null;
    plane.setMarker(null);
    result.hidden = true;
    latent.textContent = "";
    said.textContent = words;
  }

  async function place(blob) {
    lastBlob = blob;
    const asked = ++placing;
    padSection.dataset.state = "encoding";
    try {
      const answer = await encode(blob, readIt.checked ? {} : { digit });
      if (asked !== placing) return;
      placed = answer;
      const name = labels[answer.digit];
      said.textContent = answer.read
        ? `${judge} reads a ${name} (${percent(answer.probability ?? 0, 0)} sure): placed on the ${name}s' plane at`
        : `Placed as a ${name} at`;
      const off = answer.latent.some((v) => Math.abs(v) > RANGE) ? " (beyond the plane's edge: the marker sits on it)" : "";
      latent.textContent = `${pointText(answer.latent)}, give or take ${pointText(answer.spread).slice(1, -1).replace(", ", " and ")}${off}.`;
      seen.show(answer.input, "Your drawing as the encoder saw it, 28 by 28 pixels");
      kept.show(answer.picture, `What the decoder draws at your drawing's point, as a ${name}`);
      plane.setMarker(answer.latent, `your ${name}`);
      result.hidden = false;
      morphArea.hidden = false;
      if (!target.dataset.chosen) target.value = String((answer.digit + 1) % labels.length);
      if (answer.digit !== digit) setDigit(answer.digit);
      padSection.dataset.state = "encoded";
      padError.say("");
      morph();
    } catch (e) {
      if (asked !== placing) return;
      padSection.dataset.state = "error";
      forget("");
      padError.say(e.message);
    }
  }

  const wantMorph = newestOnly(
    ({ point, weights }) => ask({ latents: [point], digits: [weights] }),
    (answer) => {
      const words = morphSlider.input.getAttribute("aria-valuetext");
      morphPicture.show(answer.pictures[0], `Your digit's point drawn as ${words}`, "At your digit's point");
      padError.say("");
    },
    (e) => padError.say(e.message),
  );

  function morph() {
    morphSlider.show();
    if (!placed) return;
    const t = morphSlider.t;
    const weights = labels.map(() => 0);
    weights[placed.digit] += 1 - t;
    weights[Number(target.value)] += t;
    wantMorph({ point: keep(placed.latent), weights });
  }
  target.addEventListener("change", () => { target.dataset.chosen = "yes"; });
  morphSlider.input.addEventListener("input", morph);

  pad.onChange(async (blob) => {
    if (blob) return place(blob);
    ++placing;
    lastBlob = null;
    padSection.dataset.state = "empty";
    padError.say("");
    forget("Draw a digit: the encoder places it on its digit's plane.");
  });

  return {
    elements: [planeSection, padSection],
    start() {
      maps.clear();
      setDigit(digit);
      if (lastBlob) place(lastBlob);
    },
  };
}
