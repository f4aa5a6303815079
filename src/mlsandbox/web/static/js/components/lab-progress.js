// A lab run's progress: a bar with the epoch and time left, the learning rate, speed and the trainer's memory
// now, a control that changes the learning rate while it trains, and a Stop button.
//
//   const progress = createRunProgress(element, { setting, onRate: async (x) => ..., onStop: async () => ... });
//   progress.step(stepEvent, started);  progress.end("finished" | "stopped" | "failed" | "exporting", text);
//
// setting: the learning_rate setting (its range), or null when the experiment has none to change.

import { count, h } from "../dom.js";
import { duration, value } from "./lab-format.js";

const STEPS = 200;

function figure(name, testid) {
  const dd = h("dd", { "data-testid": testid }, "–");
  return { dt: h("dt", {}, name), dd };
}

export function createRunProgress(root, { setting, onRate, onStop }) {
  const bar = h("progress", { id: "lab-progress-bar", max: "1", value: "0", "data-testid": "lab-progress" });
  const said = h("span", { class: "lab-progress-text", "data-testid": "lab-progress-text" }, "Waiting for the trainer to start…");
  const figures = {
    rate: figure("Learning rate", "lab-rate-now"),
    speed: figure("Examples a second", "lab-speed"),
    memory: figure("Trainer memory", "lab-memory"),
    elapsed: figure("Time", "lab-elapsed"),
  };
  const stop = h("button", { type: "button", "data-testid": "lab-stop" }, "Stop");
  const problem = h("p", { class: "lab-error", role: "alert", hidden: true });

  let rateControl = null;
  let slider = null;
  if (setting) {
    const [low, high] = [Math.log10(setting.low), Math.log10(setting.high)];
    slider = h("input", { id: "lab-rate", type: "range", min: low, max: high, step: (high - low) / STEPS,
                          "data-testid": "lab-rate", "aria-describedby": "lab-rate-help" });
    const shown = h("output", { for: "lab-rate", "data-testid": "lab-rate-value" });
    const apply = h("button", { type: "submit", "data-testid": "lab-rate-apply" }, "Use this rate");
    const show = () => {
      const rate = Number((10 ** Number(slider.value)).toPrecision(2));
      shown.textContent = value(rate);
      slider.setAttribute("aria-valuetext", value(rate));
      return rate;
    };
    slider.addEventListener("input", show);
    rateControl = h("form", { class: "lab-rate", "data-testid": "lab-rate-form", onsubmit: async (e) => {
      e.preventDefault();
      apply.disabled = true;
      await act(() => onRate(show()));
      apply.disabled = finished;
    } },
      h("label", { for: "lab-rate" }, "Change the learning rate now"),
      h("div", { class: "lab-rate-row" }, slider, shown, apply),
      h("p", { id: "lab-rate-help", class: "lab-help" }, "The new rate is the peak: the schedule carries on from it."));
    rateControl.set = (rate) => {
      if (!(rate > 0) || document.activeElement === slider) return;
      slider.value = Math.log10(rate);
      show();
    };
    rateControl.disable = (off) => { slider.disabled = apply.disabled = off; };
  }

  async function act(action) {
    problem.hidden = true;
    try {
      await action();
    } catch (e) {
      problem.textContent = e.message;
      problem.hidden = false;
    }
  }
  stop.addEventListener("click", async () => {
    stop.disabled = true;
    stop.textContent = "Stopping…";
    await act(onStop);
  });

  root.classList.add("lab-progress");
  root.append(
    h("div", { class: "lab-bar" }, h("label", { for: "lab-progress-bar", class: "visually-hidden" }, "Training progress"), bar, said),
    h("dl", { class: "lab-figures" }, Object.values(figures).map(({ dt, dd }) => h("div", {}, dt, dd))),
    h("div", { class: "lab-controls" }, rateControl, stop),
    problem);

  let finished = false;

  function step(event, started) {
    bar.value = event.progress ?? 0;
    const epochs = started?.epochs;
    const epoch = started?.steps_per_epoch ? Math.min(epochs, Math.ceil(event.step / started.steps_per_epoch)) : event.epoch;
    said.textContent = [
      `${Math.round((event.progress ?? 0) * 100)}%`,
      epochs && Number.isFinite(epoch) ? `epoch ${count(Math.max(1, epoch))} of ${count(epochs)}` : null,
      started?.total_steps ? `step ${count(event.step)} of ${count(started.total_steps)}` : null,
      Number.isFinite(event.eta) ? `about ${duration(event.eta)} left` : null,
    ].filter(Boolean).join(" · ");
    figures.rate.dd.textContent = value(event.learning_rate, "float");
    figures.speed.dd.textContent = Number.isFinite(event.examples_per_second) ? count(Math.round(event.examples_per_second)) : "–";
    figures.memory.dd.textContent = Number.isFinite(event.memory_mb) ? `${count(Math.round(event.memory_mb))} MB` : "–";
    figures.elapsed.dd.textContent = Number.isFinite(event.elapsed) ? duration(event.elapsed) : "–";
  }

  // The peak learning rate the run trains with now (its start, or a change).
  const peak = (rate) => rateControl?.set(rate);

  function end(state, text) {
    finished = state !== "exporting";
    if (state === "finished" || state === "exporting") bar.value = 1;
    said.textContent = text;
    stop.disabled = true;
    stop.textContent = "Stop";
    rateControl?.disable(true);
    root.dataset.state = state;
  }

  function queued(text) {
    said.textContent = text;
  }

  return { step, peak, end, queued };
}
