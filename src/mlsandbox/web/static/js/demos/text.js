// The "text" demo: a prompt every trained model of the family continues side by side, streamed one
// character at a time, with the five characters the model weighed at each step. Each panel's
// data-state is "idle", "running", "done", "stopped" or "error".
import { errorMessage } from "../api.js";
import { appendTo, count, h, percent } from "../dom.js";
import { modelUrl, withRun } from "../components/run-member.js";

const UNREACHABLE = "The server cannot be reached. Is `mlsandbox serve` still running?";
const SHOWN = { " ": "␣", "\n": "↵", "\t": "⇥" };

const visible = (c) => SHOWN[c] ?? c;
const chance = (p) => (p < 0.001 ? "<0.1%" : percent(p));
const shortTitle = (title) => title.split(": ").pop();

// Read a text/event-stream body, calling onEvent(name, data) for each event ("message" when unnamed).
async function readEvents(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    const blocks = (buffer + value).split(/\r?\n\r?\n/);
    buffer = blocks.pop();
    for (const block of blocks) {
      let name = "message";
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
  }
}

// One model's panel: its title and held-out score, the prompt and what it wrote, the alternatives box.
function panel(member) {
  const { id, card } = member;
  const nats = card?.metrics?.nats_per_char;
  const output = h("div", { class: "text-output", "data-testid": `output-${id}`, tabindex: "0", role: "textbox",
                            "aria-readonly": "true", "aria-multiline": "true", "aria-label": `${shortTitle(member.title)}'s text; arrow keys step through its characters` });
  const box = h("div", { class: "text-alternatives", "data-testid": `alternatives-${id}`, "aria-live": "polite", hidden: true });
  const status = h("p", { class: "text-status muted", "data-testid": `status-${id}`, "aria-live": "polite" });
  const el = h("section", { class: "text-panel", "data-testid": `panel-${id}`, "data-state": "idle" },
    h("h3", {}, shortTitle(member.title)),
    nats != null && h("p", { class: "text-score muted" }, `${nats.toFixed(2)} nats per character on held-out text`),
    member.trained ? [output, box, status] : h("p", { class: "untrained" }, member.problem));

  let steps = [];
  let picked = null;

  function hint() {
    box.replaceChildren(h("span", { class: "muted" }, "Point at a written character, or tap it, for the five the model weighed."));
  }

  function pick(i) {
    output.querySelector(".picked")?.classList.remove("picked");
    output.querySelectorAll(".gen")[i].classList.add("picked");
    picked = i;
    const { character, probability, top } = steps[i];
    box.replaceChildren();
    appendTo(box,
      h("span", { class: "muted" }, `Character ${count(i + 1)}: `),
      h("ol", {}, top.map(([c, p]) => h("li", { class: c === character ? "chosen" : null },
        h("span", { class: "alt-char" }, visible(c)), " ", chance(p), c === character && " ✓"))),
      !top.some(([c]) => c === character) &&
        h("span", { class: "muted" }, ` chose “${visible(character)}” (${chance(probability)}), not among them`));
  }

  const pointed = (e) => e.target.classList?.contains("gen") && pick(Number(e.target.dataset.i));
  output.addEventListener("mouseover", pointed);
  output.addEventListener("click", pointed);
  output.addEventListener("keydown", (e) => {
    const step = { ArrowLeft: -1, ArrowRight: 1 }[e.key];
    if (!step || !steps.length) return;
    e.preventDefault();
    pick(Math.min(Math.max((picked ?? -1) + step, 0), steps.length - 1));
  });

  function add(step) {
    const atEnd = output.scrollHeight - output.scrollTop - output.clientHeight < 40;
    output.append(h("span", { class: step.character === "\n" ? "gen newline" : "gen", "data-i": steps.length }, step.character));
    steps.push(step);
    box.hidden = false;
    if (atEnd) output.scrollTop = output.scrollHeight;
  }

  function finish(state, text) {
    el.dataset.state = state;
    status.textContent = text;
  }

  // Stream this model's continuation of body.prompt until it ends, fails or signal aborts it.
  async function run(url, body, signal) {
    steps = [];
    picked = null;
    output.replaceChildren(...(body.prompt ? [h("span", { class: "prompt-text" }, body.prompt)] : [])); // empty: its placeholder
    box.hidden = true;
    hint();
    finish("running", "generating…");
    let end = null;
    try {
      const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" },
                                          body: JSON.stringify(body), signal });
      if (!response.ok) throw new Error(await errorMessage(response));
      await readEvents(response, (name, data) => {
        if (name === "message") add(data);
        else if (name === "end") end = data;
      });
      if (!end) throw new TypeError("no end");
      finish("done", `${count(end.characters)} characters, ${count(Math.round(end.characters_per_second))} per second`);
    } catch (e) {
      if (signal.aborted) finish("stopped", `stopped after ${count(steps.length)} characters`);
      else if (!(e instanceof TypeError)) finish("error", e.message);
      else finish("error", steps.length ? `The text broke off after ${count(steps.length)} characters.` : UNREACHABLE);
    }
  }

  return { el, run, trained: member.trained, member };
}

export function mount(root, { experiment, members, run }) {
  const { details } = experiment;
  const [low, high] = details.temperatures;
  const panels = withRun(members, experiment, run).map(panel);
  const trained = panels.filter((p) => p.trained);

  const prompt = h("textarea", { id: "prompt", "data-testid": "prompt", rows: "3", maxlength: details.max_prompt,
                                 spellcheck: "false", placeholder: "The start of a text for the models to continue" });
  prompt.value = details.prompts[0] ?? "";
  const temperature = h("input", { id: "temperature", type: "range", "data-testid": "temperature", min: low, max: high,
                                   step: "0.05", value: "0.8" });
  const shownTemperature = h("output", { for: "temperature", class: "text-temperature" }, "0.80");
  temperature.addEventListener("input", () => (shownTemperature.textContent = Number(temperature.value).toFixed(2)));
  const length = h("input", { id: "length", type: "number", "data-testid": "length", min: "1", max: details.max_length,
                              value: "400", inputmode: "numeric" });
  const start = h("button", { type: "submit", "data-testid": "start", disabled: !trained.length }, "Start");
  const stop = h("button", { type: "button", "data-testid": "stop", disabled: true }, "Stop");

  let controller = null;
  stop.addEventListener("click", () => controller?.abort());

  async function generate(e) {
    e.preventDefault();
    controller = new AbortController();
    start.disabled = true;
    stop.disabled = false;
    // One seed for all: the same request to the same model gives the same text.
    const body = { prompt: prompt.value, length: length.valueAsNumber, temperature: Number(temperature.value),
                   seed: Math.floor(Math.random() * 2 ** 32) };
    await Promise.all(trained.map((p) => p.run(modelUrl(p.member, "generate"), body, controller.signal)));
    start.disabled = false;
    stop.disabled = true;
  }

  root.append(h("div", { class: "text-demo" },
    h("form", { class: "text-form", novalidate: true, onsubmit: generate },
      h("label", { for: "prompt" }, "Prompt"),
      prompt,
      h("div", { class: "prompt-choices", role: "group", "aria-label": "Starting lines" },
        details.prompts.map((text, i) => h("button", {
          type: "button", "data-testid": `prompt-choice-${i}`, title: text,
          onclick: () => { prompt.value = text; prompt.focus(); },
        }, text.replace(/\s+/g, " ").trim()))),
      h("div", { class: "text-settings" },
        h("label", { for: "temperature" }, h("span", {}, "Temperature ", shownTemperature), temperature,
          h("span", { class: "muted" }, "lower: safer · higher: more surprising")),
        h("label", { for: "length" }, "Characters", length)),
      h("div", { class: "text-buttons" }, start, stop)),
    h("div", { class: "text-panels" }, panels.map((p) => p.el))));
}
