// Ways to give a page a photo: drop it on the zone, paste it anywhere on the page, or pick a file.
//
//   createPhotoInput(element, { onPhoto: (file) => ..., lead: "No camera?" });  // onPhoto gets a File
//
// On a touch screen, where there is nothing to drop or paste with, only the button is offered.

import { h } from "../dom.js";

const PASTE = /Mac|iPhone|iPad/.test(navigator.userAgentData?.platform ?? navigator.platform) ? "⌘V" : "Ctrl+V";

export function createPhotoInput(root, { onPhoto, lead = "" }) {
  const input = h("input", { type: "file", accept: "image/*", class: "visually-hidden", "data-testid": "photo-file" });
  const zone = h("div", { class: "drop-zone", "data-testid": "drop-zone" },
    h("p", {}, lead && `${lead} `,
      h("span", { class: "drop-hint" }, "Drop a photo here or paste one ", h("span", { class: "muted" }, `(${PASTE})`), ", or")),
    h("label", { class: "button" }, input, "Choose a photo"));
  root.append(zone);

  input.addEventListener("change", () => {
    if (input.files[0]) onPhoto(input.files[0]);
    input.value = ""; // the same file again is a new choice
  });

  zone.addEventListener("dragover", (event) => {
    if (![...event.dataTransfer.types].includes("Files")) return;
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    zone.classList.remove("over");
    const file = event.dataTransfer.files[0];
    if (!file) return;
    event.preventDefault();
    onPhoto(file);
  });

  // A photo dropped beside the zone is not opened in place of the page.
  window.addEventListener("dragover", (event) => event.preventDefault());
  window.addEventListener("drop", (event) => event.preventDefault());

  document.addEventListener("paste", (event) => {
    const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith("image/"));
    if (!file) return;
    event.preventDefault();
    onPhoto(file);
  });

  return { element: zone, input };
}
