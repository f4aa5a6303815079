// The parts the generate demo's GAN and VAE halves share: an error line, a picture drawn large, a slider.

import { h } from "../dom.js";

export const round = (v) => Math.round(v * 1e4) / 1e4;

// A line that says what went wrong, in words; hidden when all is well.
export function errorLine(testid) {
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
export function bigPicture(testid, caption = "", className = "gen-big") {
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
export function slider(id, label, words, testid) {
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
