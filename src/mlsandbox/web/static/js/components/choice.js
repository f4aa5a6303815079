// One choice among a few, as a row of toggle buttons (aria-pressed): each reached with Tab, and the arrow keys
// move the choice along the row.
//
//   const digits = createChoice({ label: "The digit to draw", options: [{ value: 0, text: "0", testid: "digit-0" }, ...],
//                                 value: 0, onChange: (value) => ... });
//   element.append(digits.element);  digits.set(3);  // set: no listener hears it
//   digits.value

import { h } from "../dom.js";

export function createChoice({ label, options, value, onChange = () => {}, className = "" }) {
  let chosen = value;
  const labelId = `choice-${Math.random().toString(36).slice(2, 8)}`;
  const buttons = options.map((option) => h("button", {
    type: "button", class: "choice-option", "aria-pressed": String(option.value === chosen), "data-testid": option.testid,
    "aria-label": option.name, onclick: () => choose(option.value),
  }, option.text));
  const element = h("div", { class: `choice ${className}`.trim(), role: "group", "aria-labelledby": labelId },
    h("span", { id: labelId, class: "choice-label" }, label), h("span", { class: "choice-options" }, buttons));

  function set(next) {
    chosen = next;
    options.forEach((option, i) => buttons[i].setAttribute("aria-pressed", String(option.value === chosen)));
  }

  function choose(next) {
    if (next === chosen) return;
    set(next);
    onChange(next);
  }

  element.addEventListener("keydown", (event) => {
    const step = { ArrowLeft: -1, ArrowUp: -1, ArrowRight: 1, ArrowDown: 1 }[event.key];
    const at = buttons.indexOf(document.activeElement);
    if (!step || at < 0) return;
    event.preventDefault();
    const next = (at + step + buttons.length) % buttons.length;
    buttons[next].focus();
    choose(options[next].value);
  });

  return {
    element,
    set,
    get value() {
      return chosen;
    },
  };
}
