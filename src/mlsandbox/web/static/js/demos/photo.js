// The "photo" demo: a photo dropped, pasted, picked or taken with the camera; the network's five most
// likely labels, and the photo with a heat map of where it saw the first one. The demo's data-state is
// "empty", "busy", "answered" or "error".
import { postImage } from "../api.js";
import { createCamera } from "../components/camera.js";
import { drawHeatmap } from "../components/heatmap.js";
import { drawPhoto, shrink, uprightBitmap } from "../components/photo-canvas.js";
import { createPhotoInput } from "../components/photo-input.js";
import { h, percent } from "../dom.js";

// ImageNet names a class by its synonyms: "tabby, tabby cat".
const names = (label) => label.split(", ");

function rankedRow({ label, probability }, i) {
  const [first, ...rest] = names(label);
  return h("li", { class: "ranked-row", "data-testid": `ranked-${i}`, "aria-label": `${label}: ${percent(probability)}` },
    h("span", { class: "ranked-name" }, h("strong", {}, first), rest.length > 0 && h("span", { class: "also" }, rest.join(", "))),
    h("span", { class: "value" }, percent(probability)),
    h("span", { class: "track" }, h("span", { class: "fill", style: `width: ${percent(probability)}` })));
}

export function mount(root, { experiment }) {
  const url = `/api/experiments/${encodeURIComponent(experiment.id)}/predict`;
  const source = h("section", { class: "panel photo-source", "aria-label": "Your photo" }, h("h3", {}, "Your photo"));
  const cameraElement = h("div");
  const label = h("output", { class: "top-label spoken", "data-testid": "photo-label" });
  const confidence = h("span", { class: "confidence" });
  const also = h("p", { class: "also-called muted", "data-testid": "photo-also" });
  const ranked = h("ol", { class: "photo-ranked", "data-testid": "photo-ranked" });
  const canvas = h("canvas", { class: "photo-canvas", "data-testid": "photo-canvas", "data-heatmap": "none" });
  const toggle = h("input", { type: "checkbox", checked: true, "data-testid": "heatmap-toggle" });
  const caption = h("span", { class: "heat-caption" });
  const timing = h("p", { class: "timing muted", "data-testid": "photo-ms" });
  const error = h("p", { class: "demo-error", role: "alert", "data-testid": "photo-error", hidden: true });
  const empty = h("p", { class: "photo-empty muted" }, "Give it a photo: it names what it sees and shows where it looked.");
  const answer = h("div", { class: "photo-answer", hidden: true },
    h("p", { class: "answer" }, h("span", { class: "says" }, "Most likely"), label, confidence), also, ranked);
  const figure = h("figure", { class: "photo-figure", hidden: true }, canvas,
    h("figcaption", {}, h("label", { class: "toggle" }, toggle, "Show where it looked"), caption));
  const result = h("section", { class: "panel photo-result", "aria-label": "What the network sees", "aria-live": "polite" },
    empty, error, answer, figure, timing);
  const demo = h("div", { class: "vision-demo photo-demo", "data-testid": "photo-demo", "data-state": "empty" }, source, result);
  root.append(demo);

  createPhotoInput(source, { onPhoto: classify });
  source.append(h("p", { class: "or muted" }, "or take one with your camera:"), cameraElement);
  const camera = createCamera(cameraElement, { facing: "user" });
  const take = h("button", { type: "button", class: "primary", "data-testid": "snapshot", disabled: true }, "Take photo");
  camera.toolbar.append(take);
  camera.onState((state) => (take.disabled = state !== "on"));
  take.addEventListener("click", async () => classify(await camera.snapshot()));

  let asked = 0; // a newer photo makes an older answer stale
  let shown = null; // the photo and the answer on display

  function paint() {
    if (!shown?.bitmap) return;
    const ctx = drawPhoto(canvas, shown.bitmap);
    const heat = toggle.checked && shown.answer?.heatmap;
    if (heat) drawHeatmap(ctx, shown.answer.heatmap);
    canvas.dataset.heatmap = heat ? "shown" : shown.answer ? "hidden" : "none";
  }
  toggle.addEventListener("change", paint);

  function display(state, bitmap, answerOrMessage) {
    shown?.bitmap?.close();
    const ok = state === "answered";
    shown = { bitmap, answer: ok ? answerOrMessage : null };
    demo.dataset.state = state;
    empty.hidden = true;
    error.textContent = ok ? "" : answerOrMessage;
    error.hidden = ok;
    answer.hidden = !ok;
    figure.hidden = !bitmap;
    toggle.parentElement.hidden = !ok;
    timing.textContent = ok ? `Answered in ${answerOrMessage.milliseconds.toFixed(0)} ms on the server.` : "";
    caption.textContent = "";
    if (ok) {
      const [first, ...rest] = names(answerOrMessage.label);
      label.textContent = first;
      confidence.textContent = percent(answerOrMessage.ranked[0].probability);
      also.textContent = rest.length ? `also called ${rest.join(", ")}` : "";
      ranked.replaceChildren(...answerOrMessage.ranked.map(rankedRow));
      caption.textContent = `Red: where it saw “${first}”. Dashed: the part of the photo it was shown.`;
    }
    paint();
    if (matchMedia("(max-width: 640px)").matches) result.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  async function classify(blob) {
    if (!blob) return;
    const mine = ++asked;
    demo.dataset.state = "busy";
    const bitmap = await uprightBitmap(blob);
    try {
      let answer;
      try {
        answer = await postImage(url, blob);
      } catch (e) {
        if (e.status !== 413 || !bitmap) throw e;
        answer = await postImage(url, await shrink(bitmap)); // too big for the server: send it smaller
      }
      if (mine === asked) display("answered", bitmap, answer);
      else bitmap?.close();
    } catch (e) {
      if (mine === asked) display("error", bitmap, e.message);
      else bitmap?.close();
    }
  }

  if (!experiment.trained) {
    error.textContent = experiment.problem;
    error.hidden = false;
  }
}
