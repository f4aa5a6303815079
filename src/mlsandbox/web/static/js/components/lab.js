// The lab's Train panel: change the recipe, press Train, watch the network learn, then play with the model
// beside the shipped one. The URL names the run (?run=RUN), so a reload comes back to it.
//
//   await mountLab(sectionElement, { experiment, run, missing, onPlay });
//
// experiment: as GET /api/experiments/{id} gives it (with its card); run: the Run the URL names, if any
// (missing: why the run it names cannot be shown);
// onPlay(run): show the run's model in the demo (absent where the demo cannot ask a run's model).
// The panel says why there is nothing to train (a pretrained model), or how to turn training on.

import { ApiError, getJSON, postJSON } from "../api.js";
import { appendTo, h } from "../dom.js";
import { createSettingsForm } from "./lab-settings.js";
import { watchRun } from "./lab-run.js";
import { withCode } from "./lab-format.js";

const ACTIVE = new Set(["queued", "running"]);

// Put the run in the page's URL (or take it out), keeping the rest.
function nameInUrl(runId) {
  const url = new URL(location.href);
  if (runId) url.searchParams.set("run", runId);
  else url.searchParams.delete("run");
  history.replaceState(history.state, "", url);
}

const pageOf = (run) => `/experiments/${encodeURIComponent(run.experiment)}?run=${encodeURIComponent(run.id)}`;

export async function mountLab(root, { experiment, run = null, missing = null, onPlay }) {
  root.classList.add("lab");
  root.append(h("h2", { id: "lab-heading" }, "Train it yourself"));
  root.hidden = false;

  let info;
  try {
    info = await getJSON(`/api/experiments/${encodeURIComponent(experiment.id)}/settings`);
  } catch (e) {
    root.append(h("p", { class: "lab-error", "data-testid": "lab-unavailable" }, withCode(`The lab cannot be shown: ${e.message}`)));
    return;
  }
  if (!info.trainable) {
    root.dataset.state = "untrainable";
    root.append(h("p", { class: "lab-why", "data-testid": "lab-why" },
      withCode(info.why || "This model is not trained here, so there is no recipe to change.")));
    return;
  }

  const enabled = Boolean(info.lab?.enabled);
  const off = enabled ? null : `Train needs the lab on: serve with ${info.lab?.command || "make lab"}.`;
  root.dataset.state = enabled ? "idle" : "off";
  const trouble = h("p", { class: "lab-error", role: "status", "data-testid": "lab-error", hidden: true });
  const runArea = h("div", { class: "lab-run-area" });
  const form = createSettingsForm(info, { initial: run?.experiment === experiment.id ? run.settings : null });
  appendTo(root,
    h("p", { class: "lab-intro" }, "Change the recipe, press Train and watch the network learn. Your model is scored "
      + "on the same held-out test as the shipped one, and you can play with the two side by side."),
    enabled ? null : h("p", { class: "lab-off", "data-testid": "lab-off" },
      "Training from the page is off on this server. Start the server with ",
      h("code", {}, info.lab?.command || "make lab"), " to turn it on; until then you can look through the recipe."),
    form.element, trouble, runArea);
  form.setLocked(off);

  let watching = null;

  // A line under the form: what went wrong (tone "error"), or news of another run ("info"), with a link.
  function say(text, link = null, tone = "error") {
    trouble.replaceChildren(...withCode(text), ...(link ? [" ", h("a", { href: link.href }, link.text)] : []));
    trouble.className = tone === "info" ? "lab-info" : "lab-error";
    trouble.hidden = !text;
  }

  function watch(target, show = false) {
    watching?.close();
    runArea.replaceChildren();
    nameInUrl(target.id);
    root.dataset.state = "watching";
    form.setLocked(ACTIVE.has(target.state) ? "A run is training: one at a time." : off);
    watching = watchRun(runArea, {
      experiment, info, run: target, onPlay, show,
      onEnd: () => form.setLocked(off),
    });
  }

  // Another run is training somewhere on this server: say which, and link to it.
  async function active() {
    try {
      return (await getJSON("/api/runs")).find((r) => ACTIVE.has(r.state)) ?? null;
    } catch {
      return null;
    }
  }

  form.onTrain(async (values) => {
    say("");
    form.setLocked("Starting…");
    try {
      const started = await postJSON(`/api/experiments/${encodeURIComponent(experiment.id)}/runs`, { settings: values });
      watch(started, true);
    } catch (e) {
      form.setLocked(off);
      const busy = e instanceof ApiError && e.status === 409 ? await active() : null;
      say(e.message, busy && { href: pageOf(busy), text: "Watch that run." });
    }
  });

  if (missing) {
    say(missing);
    nameInUrl(null);
  } else if (run) {
    if (run.experiment !== experiment.id) {
      say(`Run ${run.id} trained another experiment (${run.experiment}).`, { href: pageOf(run), text: "See it on its page." });
      nameInUrl(null);
    } else watch(run);
  } else if (enabled) {
    const busy = await active();
    if (busy) {
      say(busy.experiment === experiment.id ? `A run of this model is training now (${busy.id}).`
        : `A run of another model (${busy.experiment}) is training now; one runs at a time.`,
      { href: pageOf(busy), text: "Watch it." }, "info");
    }
  }
}
