// A grid of pictures a network drew, each a toggle button: a person picks two of them (A, then B); picking a
// third lets go of the older one, picking a picked one lets go of it.
//
//   const grid = createPictureGrid(element, { label: "…", onPick: (picked) => ... });  // picked: [i, j] or fewer
//   grid.show(dataUrls);   // new pictures: the picks are kept where they were
//   grid.pick([0, 5]);     // pick these (listeners hear it)

import { h } from "../dom.js";

const LETTERS = ["A", "B"];

export function createPictureGrid(root, { label = "Pictures", onPick = () => {} } = {}) {
  const list = h("ul", { class: "picture-grid", "aria-label": label, "data-testid": "picture-grid" });
  root.append(list);
  let items = [];
  let picked = [];

  function mark() {
    items.forEach(({ button, badge }, i) => {
      const at = picked.indexOf(i);
      button.setAttribute("aria-pressed", String(at >= 0));
      badge.textContent = at >= 0 ? LETTERS[at] : "";
      button.dataset.picked = at >= 0 ? LETTERS[at] : "";
    });
  }

  function pick(next) {
    picked = next.filter((i) => i >= 0 && i < items.length).slice(-2);
    mark();
    onPick([...picked]);
  }

  function toggle(i) {
    if (picked.includes(i)) pick(picked.filter((j) => j !== i));
    else pick([...picked, i]);
  }

  function show(pictures) {
    items = pictures.map((src, i) => {
      const badge = h("span", { class: "pick-badge", "aria-hidden": "true" });
      const button = h("button", { type: "button", class: "picture-button", "aria-pressed": "false",
        "aria-label": `Picture ${i + 1}`, "data-testid": `picture-${i}`, onclick: () => toggle(i) },
      h("img", { src, alt: "", width: 28, height: 28 }), badge);
      return { button, badge, item: h("li", {}, button) };
    });
    list.replaceChildren(...items.map((x) => x.item));
    picked = picked.filter((i) => i < items.length);
    mark();
  }

  return {
    element: list,
    show,
    pick,
    get picked() {
      return [...picked];
    },
  };
}
