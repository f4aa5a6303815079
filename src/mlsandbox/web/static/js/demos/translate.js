// The "translate" demo: a text box the model answers on every keystroke ("17+38" -> "55"), with its
// confidence in each character it wrote, the right answer, and held-out texts to try to trick it with.
// While a keystroke waits or is being answered, the demo's element has data-busy="true".
import { ApiError, getJSON, postJSON } from "../api.js";
import { h, percent, showMessage } from "../dom.js";
import { hasModel, modelUrl, runMember } from "../components/run-member.js";

const DEBOUNCE_MS = 80;
const HELD_OUT = 20;

const chance = (p) => (p < 0.001 ? "<0.1%" : percent(p));
const named = (c) => (c === "(end)" ? "end here" : c);

// One written character: a box with the character, its probability as text and as a bar, and its
// alternatives, shown on hover or focus (a tap focuses it).
function digitBox({ character, probability, alternatives }, i) {
  return h("li", { class: "digit", tabindex: "0", "data-testid": `digit-${i}`, style: `--p: ${probability}`,
                   "aria-label": `${character}: ${percent(probability)} sure` },
    h("span", { class: "char" }, character),
    h("span", { class: "sure" }, percent(probability)),
    h("span", { class: "meter" }, h("span", { class: "fill", style: `width: ${percent(probability)}` })),
    h("ul", { class: "alternatives", "data-testid": `alternatives-${i}` },
      alternatives.map((a) => h("li", {}, "or ", h("strong", {}, named(a.character)), " ", chance(a.probability)))));
}

// With a lab run that has a model, the run's model answers each sum too, beside the shipped one.
function runAnswer(experiment, run) {
  const member = runMember(experiment, run);
  const answer = h("output", { class: "run-answer", "data-testid": "run-answer" });
  const verdict = h("span", { class: "verdict", "data-testid": "run-verdict" });
  const element = h("p", { class: "run-line" }, h("span", { class: "muted" }, `${member.title} says `), answer, verdict);
  let latest = 0; // the newest question; older answers are dropped
  function say(output, correct = null, problem = "") {
    answer.textContent = output;
    verdict.dataset.correct = String(correct);
    verdict.textContent = problem || (correct == null ? "" : correct ? "✓ right" : "✗ wrong");
  }
  async function ask(text) {
    const ticket = ++latest;
    let result = null;
    let problem = "";
    try {
      result = await postJSON(modelUrl(member, "translate"), { text });
    } catch (e) {
      if (e.status !== 422) problem = e.message; // an unreadable sum: the box above says why
    }
    if (ticket === latest) say(result?.output ?? "–", result?.correct ?? null, problem);
  }
  function clear() {
    latest++;
    say("–");
  }
  return { element, ask, clear };
}

export function mount(root, { experiment, run }) {
  const { details } = experiment;
  const url = `/api/experiments/${encodeURIComponent(experiment.id)}`;
  const input = h("input", {
    id: "expression", type: "text", "data-testid": "expression", placeholder: details.hint, maxlength: details.max_text,
    autocomplete: "off", autocorrect: "off", autocapitalize: "off", spellcheck: "false", inputmode: "tel",
    enterkeyhint: "done", "aria-describedby": "expression-error expression-hint", disabled: !experiment.trained,
  });
  const error = h("p", { id: "expression-error", class: "input-error", role: "alert", "data-testid": "input-error", hidden: true });
  const trick = h("button", { type: "button", "data-testid": "trick", disabled: !experiment.trained }, "Try to trick it");
  const read = h("span", { class: "read" });
  const answer = h("output", { class: "sum-answer", for: "expression", "data-testid": "answer" });
  const verdict = h("p", { class: "verdict", "data-testid": "verdict", hidden: true });
  const empty = h("p", { class: "sum-empty muted" });
  const digits = h("ol", { class: "digits", "aria-label": "How sure it was of each digit" });
  const timing = h("span", { "data-testid": "timing" });
  const note = h("p", { class: "digits-note muted" }, "Point at a digit or tap it for the runners-up · ", timing);
  const yours = hasModel(run) ? runAnswer(experiment, run) : null;

  const demo = h("div", { class: "translate-demo", "data-busy": "false" },
    h("form", { class: "sum-form", onsubmit: (e) => e.preventDefault() },
      h("label", { for: "expression" }, "Your sum"),
      input, error,
      h("p", { id: "expression-hint", class: "hint muted" }, `Type ${details.hint}, like 17+38.`)),
    h("section", { class: "sum-result", "aria-live": "polite", "aria-label": "The model's answer" },
      experiment.trained ? empty : h("p", { class: "untrained" }, experiment.problem),
      h("div", { class: "sum-line" }, read, answer, verdict), digits, note, yours?.element),
    h("div", { class: "trick" }, trick,
      h("p", { class: "muted" }, "It types a sum held out for testing: the model never saw it in training, nor its "
        + "swapped twin (38+17 for 17+38).")));
  root.append(demo);

  function show(result) {
    error.hidden = true;
    empty.hidden = Boolean(result);
    empty.textContent = input.value.trim() ? "No answer for this text." : "Its answer appears here as you type.";
    read.textContent = result ? `${result.text} =` : "";
    answer.textContent = result?.output ?? "";
    digits.replaceChildren(...(result?.characters ?? []).map(digitBox));
    verdict.hidden = result?.correct == null;
    if (!verdict.hidden) {
      verdict.dataset.correct = String(result.correct);
      verdict.textContent = result.correct ? `✓ right: ${result.text} = ${result.expected}` : `✗ wrong: the sum is ${result.expected}`;
    }
    note.hidden = !result;
    timing.textContent = result ? `${result.milliseconds.toFixed(1)} ms on the server` : "";
  }

  let latest = 0; // the newest request; older answers are dropped
  let timer = null;

  async function ask() {
    const ticket = ++latest;
    demo.dataset.busy = "true";
    yours?.ask(input.value);
    let result = null;
    let problem = null;
    try {
      result = await postJSON(`${url}/translate`, { text: input.value });
    } catch (e) {
      problem = e;
    }
    if (ticket !== latest) return;
    demo.dataset.busy = "false";
    show(result);
    const unreadable = problem?.status === 422;
    error.textContent = unreadable ? problem.message : "";
    error.hidden = !unreadable;
    input.setAttribute("aria-invalid", String(unreadable));
    showMessage(unreadable ? "" : problem?.message);
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    latest++;
    if (!input.value.trim()) {
      demo.dataset.busy = "false";
      yours?.clear();
      input.setAttribute("aria-invalid", "false");
      show(null);
      showMessage("");
      return;
    }
    demo.dataset.busy = "true";
    timer = setTimeout(ask, DEBOUNCE_MS);
  });

  let heldOut = [];
  trick.addEventListener("click", async () => {
    try {
      if (!heldOut.length) heldOut = (await getJSON(`${url}/held-out?count=${HELD_OUT}`)).texts;
    } catch (e) {
      showMessage(e.message);
      return;
    }
    clearTimeout(timer);
    input.value = heldOut.shift();
    ask();
  });

  show(null);
  yours?.clear();
}
