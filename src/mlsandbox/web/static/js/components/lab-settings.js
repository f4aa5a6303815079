// The lab's recipe form: one field per setting the experiment declares (GET /api/experiments/{id}/settings),
// presets that fill it, the server's estimate of the training time as it changes, and a Train button.
//
//   const form = createSettingsForm(info, { initial });   // initial: values to start from (a run's settings)
//   form.onTrain((values) => ...);                        // Train pressed with valid values under the limit
//   form.setLocked(true, "A run is training: one at a time.");  // Train off, with the reason
//
// Each field: a label (the name in words), a number box with the setting's range, or for a `log` setting
// a slider that moves by factors beside the box, or a checkbox; the help line; the shipped value.

import { postJSON } from "../api.js";
import { appendTo, h } from "../dom.js";
import { about, duration, value, withCode, words } from "./lab-format.js";

const ESTIMATE_DELAY_MS = 350;
const SLIDER_STEPS = 200;

function numberBox(setting, id, labelledBy) {
  return h("input", {
    id, type: "number", inputmode: setting.type === "int" ? "numeric" : "decimal", required: true,
    min: setting.low, max: setting.high, step: setting.type === "int" ? setting.step || 1 : "any",
    "aria-labelledby": labelledBy, "aria-describedby": `${id}-help ${id}-error`, "data-testid": `setting-${setting.name}`,
  });
}

// One setting's field: { element, get() -> value or NaN, set(v), error(text) }.
function field(setting) {
  const id = `lab-${setting.name}`;
  const label = h("label", { id: `${id}-label`, for: setting.log ? `${id}-slider` : id }, words(setting.name));
  const shipped = h("span", { class: "lab-shipped" }, `shipped: ${value(setting.default, setting.type)}`);
  const help = h("p", { id: `${id}-help`, class: "lab-help" }, setting.help);
  const error = h("p", { id: `${id}-error`, class: "lab-error", role: "alert", hidden: true });
  const element = h("div", { class: "lab-field", "data-setting": setting.name });

  if (setting.type === "bool") {
    const box = h("input", { id, type: "checkbox", "aria-describedby": `${id}-help`, "data-testid": `setting-${setting.name}` });
    appendTo(element, h("div", { class: "lab-field-head" }, h("label", { class: "toggle", for: id }, box, words(setting.name)), shipped), help);
    return { element, get: () => box.checked, set: (v) => { box.checked = Boolean(v); }, error: () => {}, inputs: [box] };
  }

  const box = numberBox(setting, id, setting.log ? `${id}-label ${id}-exact` : `${id}-label`);
  let slider = null;
  if (setting.log) {
    const [low, high] = [Math.log10(setting.low), Math.log10(setting.high)];
    slider = h("input", { id: `${id}-slider`, type: "range", min: low, max: high, step: (high - low) / SLIDER_STEPS,
                          "aria-describedby": `${id}-help`, "data-testid": `slider-${setting.name}` });
    const whole = setting.step || 1;
    const fromSlider = (x) => (setting.type === "int" ? Math.max(setting.low, Math.round(10 ** x / whole) * whole)
      : Number((10 ** x).toPrecision(2)));
    slider.addEventListener("input", () => {
      box.value = fromSlider(Number(slider.value));
      slider.setAttribute("aria-valuetext", value(box.valueAsNumber, setting.type));
    });
    box.addEventListener("input", () => {
      if (box.valueAsNumber > 0) slider.value = Math.log10(box.valueAsNumber);
      slider.setAttribute("aria-valuetext", value(box.valueAsNumber, setting.type));
    });
  }
  appendTo(element,
    h("div", { class: "lab-field-head" }, label, shipped),
    h("div", { class: "lab-control" }, slider,
      slider && h("span", { id: `${id}-exact`, class: "visually-hidden" }, "(exact value)"), box),
    error, help);

  return {
    element,
    inputs: [box, slider].filter(Boolean),
    get: () => box.valueAsNumber,
    set(v) {
      box.value = v;
      if (slider) {
        slider.value = Math.log10(v);
        slider.setAttribute("aria-valuetext", value(v, setting.type));
      }
    },
    error(text) {
      error.textContent = text ?? "";
      error.hidden = !text;
      box.setAttribute("aria-invalid", String(Boolean(text)));
    },
  };
}

// What is wrong with a typed value, or null.
function problem(setting, v) {
  if (setting.type === "bool") return null;
  const range = setting.low != null && setting.high != null ? ` from ${value(setting.low)} to ${value(setting.high)}` : "";
  if (!Number.isFinite(v)) return `Give a number${range}.`;
  if (setting.type === "int" && !Number.isInteger(v / (setting.step || 1))) {
    return setting.step > 1 ? `Give a multiple of ${setting.step}${range}.` : `Give a whole number${range}.`;
  }
  if ((setting.low != null && v < setting.low) || (setting.high != null && v > setting.high)) return `Give a value${range}.`;
  return null;
}

export function createSettingsForm(info, { initial = null } = {}) {
  const shipped = Object.fromEntries(info.settings.map((s) => [s.name, s.default]));
  const presets = {
    quick: { ...shipped, ...info.presets?.quick },
    shipped: { ...shipped, ...info.presets?.shipped },
  };
  const fields = new Map(info.settings.map((s) => [s.name, field(s)]));
  const estimate = h("p", { class: "lab-estimate", role: "status", "data-testid": "lab-estimate" });
  const train = h("button", { type: "submit", class: "primary", "data-testid": "lab-train" }, "Train");
  const locked = h("p", { class: "lab-locked muted", "data-testid": "lab-locked", hidden: true });
  const presetButton = (name, text) => {
    const seconds = info.estimates?.[name];
    return h("button", { type: "button", "aria-pressed": "false", "data-testid": `lab-preset-${name}`,
                         onclick: () => { fill(presets[name]); changed(); } },
      text, typeof seconds === "number" && h("span", { class: "lab-preset-time" }, ` · ${about(seconds)}`));
  };
  const presetButtons = { quick: presetButton("quick", "Quick"), shipped: presetButton("shipped", "As shipped") };

  const element = h("form", { class: "lab-form", novalidate: true, "data-testid": "lab-form", "aria-labelledby": "lab-recipe" },
    h("div", { class: "lab-form-head" },
      h("h3", { id: "lab-recipe" }, "The recipe"),
      h("div", { class: "lab-presets", role: "group", "aria-label": "Fill the form with a recipe" },
        h("span", { class: "muted" }, "Fill with:"), presetButtons.quick, presetButtons.shipped)),
    h("div", { class: "lab-fields" }, [...fields.values()].map((f) => f.element)),
    h("div", { class: "lab-go" }, train, estimate),
    locked);

  let lock = null; // why Train is off, or null
  let verdict = { ok: false }; // the latest estimate's
  let timer = null;
  let ticket = 0;
  let checked = ""; // the values last checked, as JSON
  const listeners = [];

  function values() {
    return Object.fromEntries([...fields].map(([name, f]) => [name, f.get()]));
  }

  function fill(v) {
    for (const [name, f] of fields) if (name in v) f.set(v[name]);
  }

  const sameValue = (s, a, b) => (s.type === "bool" ? Boolean(a) === Boolean(b) : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)));
  const same = (a, b) => info.settings.every((s) => sameValue(s, a[s.name], b[s.name]));

  function refresh() {
    train.disabled = Boolean(lock) || !verdict.ok;
    locked.textContent = lock ?? "";
    locked.hidden = !lock;
  }

  // Check the values, mark what changed from the shipped recipe, and ask for an estimate once typing rests.
  function changed() {
    const now = values();
    checked = JSON.stringify(now);
    let valid = true;
    for (const s of info.settings) {
      const wrong = problem(s, now[s.name]);
      fields.get(s.name).error(wrong);
      valid &&= !wrong;
      fields.get(s.name).element.classList.toggle("changed", !wrong && !sameValue(s, now[s.name], shipped[s.name]));
    }
    for (const [name, button] of Object.entries(presetButtons)) button.setAttribute("aria-pressed", String(valid && same(now, presets[name])));
    clearTimeout(timer);
    ticket++;
    verdict = { ok: false };
    refresh();
    if (!valid) {
      estimate.textContent = "Fix the settings marked above.";
      estimate.dataset.over = "false";
      return;
    }
    estimate.textContent = "Estimating the training time…";
    timer = setTimeout(() => ask(now, ticket), ESTIMATE_DELAY_MS);
  }

  async function ask(now, mine) {
    let answer = null;
    let refused = null;
    try {
      answer = await postJSON(`/api/experiments/${encodeURIComponent(info.experiment)}/estimate`, { settings: now });
    } catch (e) {
      refused = e.message;
    }
    if (mine !== ticket) return;
    const over = Boolean(refused) || Boolean(answer?.over); // over: what to change, in words
    estimate.dataset.over = String(over);
    const limit = answer?.limit_seconds ?? info.lab?.limit_seconds;
    if (refused) estimate.replaceChildren(...withCode(refused));
    else if (over) {
      estimate.replaceChildren(...withCode(typeof answer.over === "string" ? answer.over
        : `About ${duration(answer.seconds)}: over this server's limit of ${duration(limit)}. Fewer epochs train faster.`));
    } else estimate.textContent = `Training takes ${about(answer.seconds)} on this server.`;
    verdict = { ok: !over };
    refresh();
  }

  // "input" alone: a "change" comes as a box loses focus, as when Train is pressed, and must not re-estimate.
  element.addEventListener("input", () => JSON.stringify(values()) !== checked && changed());
  element.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!train.disabled) listeners.forEach((listener) => listener(values()));
  });

  fill(initial ? { ...presets.quick, ...initial } : presets.quick);
  changed();

  return {
    element,
    onTrain: (listener) => listeners.push(listener),
    setLocked(reason) {
      lock = reason || null;
      refresh();
    },
  };
}
