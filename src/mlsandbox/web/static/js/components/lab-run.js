// One lab run, watched as it trains: its events (GET /api/runs/{run}/events, a text/event-stream that replays
// from the first event, so a reloaded page draws the whole story again) drawn as loss and accuracy charts,
// progress, and what the network has learned; at the end, its result beside the shipped model, or why it ended.
//
//   const view = watchRun(element, { experiment, info, run, onPlay, onEnd, show });  // view.close() stops watching
//
// show: scroll to the run and focus its heading (when the learner has just started it).
//
// The element's data-state follows the run: queued, running, exporting, finished, stopped, failed, lost.
// Redraws happen at most once per animation frame, however fast the events come.

import { getJSON, postJSON } from "../api.js";
import { appendTo, count, h } from "../dom.js";
import { chartPlan } from "./lab-charts.js";
import { createLineChart } from "./line-chart.js";
import { createRunProgress } from "./lab-progress.js";
import { createLabViews } from "./lab-views.js";
import { runResult } from "./lab-result.js";
import { hasModel } from "./run-member.js";
import { duration, value, withCode, words } from "./lab-format.js";

const TYPES = ["started", "step", "validation", "learning_rate", "exporting", "finished", "stopped", "failed"];
const ENDS = new Set(["finished", "stopped", "failed"]);
const RETRY_MS = 2000;
const QUIET_MS = 8000;

const runUrl = (run, path = "") => `/api/runs/${encodeURIComponent(run.id)}${path}`;

export function watchRun(root, { experiment, info, run, onPlay, onEnd = () => {}, show = false }) {
  const settings = new Map(info.settings.map((s) => [s.name, s]));
  const rateSetting = settings.get("learning_rate") ?? null;

  const changed = h("p", { class: "lab-changed", "data-testid": "lab-changed" });
  const outcome = h("div", { class: "lab-outcome", "data-testid": "lab-outcome", hidden: true });
  const announce = h("p", { class: "visually-hidden", "aria-live": "polite", "data-testid": "lab-announce" });
  const connection = h("p", { class: "lab-connection muted", role: "status", hidden: true });
  const progressElement = h("div");
  const plan = chartPlan(experiment); // the charts this kind of model draws, and their words
  const charts = plan.charts.map((spec) => {
    const figure = h("figure", { class: "lab-chart", "data-testid": spec.testid }, h("figcaption", {}, spec.caption));
    return { spec, figure, chart: createLineChart(figure, { xLabel: "epoch", ...spec }) };
  });
  const viewsElement = h("div");
  const element = h("section", { class: "lab-run", "data-testid": "lab-run", "data-state": run.state, "aria-labelledby": "lab-run-heading" },
    h("h3", { id: "lab-run-heading", tabindex: "-1" }, `Run ${run.id}`),
    changed, connection, announce, progressElement, outcome,
    h("div", { class: "lab-charts" }, charts.map((c) => c.figure)),
    viewsElement);
  root.append(element);
  if (show) { // just started: bring it into view (past the form, on a phone) and say so to a screen reader
    element.scrollIntoView({ behavior: matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth", block: "start" });
    element.querySelector("h3").focus({ preventScroll: true });
  }

  const progress = createRunProgress(progressElement, {
    setting: rateSetting,
    onRate: (rate) => postJSON(runUrl(run, "/learning-rate"), { learning_rate: rate }),
    onStop: () => postJSON(runUrl(run, "/stop"), {}),
  });

  // What the events have said so far.
  let started = null;
  const steps = { loss: [], accuracy: [], parts: {} }; // parts: a loss's terms by name (a GAN's two networks')
  const validations = { loss: [], accuracy: [] };
  const marks = [];
  let lastStep = null;
  let lastValidation = null;
  let drawnValidation = null;
  let views = null;
  let lastId = 0;
  let frame = 0;
  let source = null;
  let closed = false;
  let retry = 0;
  let heard = performance.now(); // when the stream last said something

  const epochOf = (step) => (started?.steps_per_epoch ? step / started.steps_per_epoch : step);

  function setState(state) {
    element.dataset.state = state;
  }

  function describeChanged(values) {
    const entries = Object.entries(values ?? {});
    changed.textContent = entries.length
      ? `Changed from the shipped recipe: ${entries.map(([name, v]) => {
        const s = settings.get(name);
        return `${words(name).toLowerCase()} ${value(v, s?.type)}${s ? ` (shipped ${value(s.default, s.type)})` : ""}`;
      }).join(", ")}.`
      : "The shipped recipe, unchanged.";
  }

  function draw() {
    frame = 0;
    const cut = ["stopped", "failed"].includes(element.dataset.state); // the epochs it never had are left out
    const options = { xMax: cut ? 0 : started?.epochs, marks };
    const data = { steps, validations };
    const said = lastValidation != null || steps.loss.length > 0;
    for (const { spec, figure, chart } of charts) {
      const points = Object.fromEntries(spec.series.map((s) => [s.key, s.points(data)]));
      chart.update(points, options);
      if (spec.optional) figure.hidden = said && Object.values(points).every((p) => !p.length);
    }
    if (lastStep && !ENDS.has(element.dataset.state) && element.dataset.state !== "exporting") progress.step(lastStep, started);
    if (lastValidation !== drawnValidation) views?.update(lastValidation); // pictures only when a new view came
    drawnValidation = lastValidation;
  }
  const schedule = () => { frame ||= requestAnimationFrame(draw); };

  const on = {
    started(e) {
      started = e;
      setState("running");
      describeChanged(e.changed ?? run.changed);
      progress.peak(e.learning_rate);
      progress.queued(["Started", Number.isFinite(e.epochs) && `${count(e.epochs)} epoch${e.epochs === 1 ? "" : "s"}`,
        Number.isFinite(e.steps_per_epoch) && `${count(e.steps_per_epoch)} steps each`,
        Number.isFinite(e.train_examples) && `${count(e.train_examples)} training examples`].filter(Boolean).join(" · "));
      views = createLabViews(viewsElement, experiment, e.view ?? {});
      announce.textContent = "Training started.";
    },
    step(e) {
      const x = epochOf(e.step);
      steps.loss.push([x, e.loss]);
      if (e.accuracy != null) steps.accuracy.push([x, e.accuracy]);
      for (const [name, y] of Object.entries(e.parts ?? {})) (steps.parts[name] ??= []).push([x, y]);
      lastStep = e;
    },
    validation(e) {
      const x = e.step != null ? epochOf(e.step) : e.epoch;
      validations.loss.push([x, e.val_loss]);
      if (e.val_accuracy != null) validations.accuracy.push([x, e.val_accuracy]);
      lastValidation = e;
      views?.seen(e);
      announce.textContent = plan.announce(e);
    },
    learning_rate(e) {
      marks.push({ x: epochOf(e.step ?? lastStep?.step ?? 0), label: `rate ${value(e.learning_rate, "float")}` });
      progress.peak(e.learning_rate);
      announce.textContent = `The learning rate is now ${value(e.learning_rate, "float")}.`;
    },
    exporting(e) {
      setState("exporting");
      progress.end("exporting", e.message || "Exporting the model and scoring it on the held-out test…");
    },
    finished() { end("finished"); },
    stopped(e) { end("stopped", e.reason); },
    failed(e) { end("failed", e.reason); },
  };

  function receive(message) {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    const id = Number(message.lastEventId || event.id || 0);
    if (id && id <= lastId) return; // seen before a reconnection
    lastId = id || lastId;
    heard = performance.now();
    const type = message.type === "message" ? event.type : message.type;
    on[type]?.(event);
    schedule();
  }

  function connect() {
    source = new EventSource(runUrl(run, `/events${lastId ? `?after=${lastId}` : ""}`));
    for (const type of TYPES) source.addEventListener(type, receive);
    source.addEventListener("message", receive);
    source.onopen = () => { connection.hidden = true; retry = 0; };
    source.onerror = () => {
      if (closed) return;
      if (source.readyState === EventSource.CONNECTING) {
        connection.textContent = "The connection to the server dropped: reconnecting…";
        connection.hidden = false;
        return;
      }
      source.close();
      recover();
    };
  }

  // The stream closed for good (the server restarted, or the run is gone): ask for the run itself.
  async function recover() {
    if (closed) return;
    try {
      const now = await getJSON(runUrl(run));
      if (ENDS.has(now.state)) return end(now.state, now.reason, now);
      connection.textContent = "The connection to the server dropped: reconnecting…";
      connection.hidden = false;
      setTimeout(() => !closed && connect(), Math.min(30_000, RETRY_MS * 2 ** retry++));
    } catch (e) {
      if (e.status === 404) {
        closed = true;
        setState("lost");
        outcome.replaceChildren(h("p", { class: "lab-error" }, `This run is not on this server any more (${e.message}).`));
        outcome.hidden = false;
        onEnd(null);
      } else {
        connection.textContent = `${e.message} Trying again…`;
        connection.hidden = false;
        setTimeout(recover, Math.min(30_000, RETRY_MS * 2 ** retry++));
      }
    }
  }

  async function end(state, reason, known = null) {
    if (closed) return;
    closed = true;
    source?.close();
    setState(state);
    let final = known;
    if (!final) {
      try {
        final = await getJSON(runUrl(run));
      } catch {
        final = { ...run, state, reason };
      }
    }
    const why = reason || final.reason;
    const texts = {
      finished: `Finished in ${duration(final.seconds ?? lastStep?.elapsed)}.`,
      stopped: why || "Stopped.",
      failed: `The run failed${why ? `: ${why}` : "."}`,
    };
    progress.end(state, state === "finished" ? texts.finished : state === "stopped" ? "Stopped." : "Failed.");
    announce.textContent = texts[state];
    if (!started) describeChanged(final.changed);
    schedule();
    outcome.hidden = false;
    const scored = hasModel(final) && final.metrics;
    appendTo(outcome,
      state !== "finished" && h("p", { class: state === "failed" ? "lab-error" : "lab-stopped", "data-testid": "lab-reason" },
        withCode(texts[state])),
      scored ? runResult(final, experiment, { onPlay })
        : [h("p", { class: "muted" }, "The shipped model still answers in the demo above. Change the recipe and train again."),
          final.command && h("p", { class: "lab-command" }, "The same run from a terminal: ", h("code", {}, final.command))]);
    onEnd(final);
  }

  describeChanged(run.changed);
  if (ENDS.has(run.state) && run.state !== "finished") progress.queued("Loading what happened…");
  else if (Number.isFinite(run.estimate_seconds)) progress.queued(`Waiting for the trainer to start: about ${duration(run.estimate_seconds)} of training then.`);
  connect();

  // A trainer that dies writes no last event: while the stream is quiet, ask for the run now and then.
  const quiet = setInterval(async () => {
    if (closed) return clearInterval(quiet);
    if (performance.now() - heard < QUIET_MS) return;
    heard = performance.now();
    try {
      const now = await getJSON(runUrl(run));
      if (ENDS.has(now.state)) setTimeout(() => end(now.state, now.reason, now), QUIET_MS / 2); // its last events first
    } catch {
      // the stream's own error handling says what is wrong
    }
  }, 1000);

  return {
    element,
    close() {
      closed = true;
      clearInterval(quiet);
      source?.close();
    },
  };
}
