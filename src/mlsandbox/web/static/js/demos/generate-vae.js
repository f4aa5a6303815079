// The generate demo for a conditional VAE: a digit's plane of styles, and a drawing of one's own placed on it.

import { createChoice } from "../components/choice.js";
import { createDrawPad } from "../components/draw.js";
import { createLatentPlane, gridPoints, pointText } from "../components/latent-plane.js";
import { newestOnly } from "../components/newest.js";
import { h, percent } from "../dom.js";
import { bigPicture, errorLine, round, slider } from "../components/generator-parts.js";

const RANGE = 3; // the plane shows -3..3 on each axis: nearly all of a standard normal
const MAP_COLUMNS = 8; // the plane's map: 8 x 8 pictures, one request

export function vaeDemo(experiment, { ask, encode, current }) {
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
