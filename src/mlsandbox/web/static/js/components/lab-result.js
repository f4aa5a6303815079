// A finished lab run beside the shipped model: the same held-out test figures, parameters and training time,
// the classes where the two differ most (when the metrics give accuracy per class), the files to download,
// the command that trains it again, and "Play with it".
//
//   root.append(runResult(run, experiment, { onPlay }));  // onPlay absent: the demo cannot ask a run's model

import { count, h, percent } from "../dom.js";
import { duration } from "./lab-format.js";

const points = (d) => `${d > 0 ? "+" : d < 0 ? "−" : "±"}${Math.abs(d * 100).toFixed(2)} points`;
const signed = (d, digits) => `${d > 0 ? "+" : d < 0 ? "−" : "±"}${Math.abs(d).toFixed(digits)}`;

// The held-out figures each kind reports, in the order shown (as the model cards show them); better: which way.
const share = { show: (v) => percent(v, 2), diff: points, better: 1 };
const rate = { show: (v) => v.toFixed(3), diff: (d) => signed(d, 3), better: -1 };
const METRICS = {
  "text generator": [
    { key: "nats_per_char", name: "Nats per character", ...rate },
    { key: "bits_per_char", name: "Bits per character", ...rate },
    { key: "accuracy", name: "Next-character accuracy", ...share },
  ],
  "sequence translator": [
    { key: "exact_match", name: "Exact match", ...share },
    { key: "character_accuracy", name: "Characters right", ...share },
  ],
  "hand landmark reader": [
    { key: "accuracy", name: "Test accuracy", ...share },
    { key: "hands_seen", name: "Hand seen", ...share },
  ],
  "image generator": [
    { key: "confident", name: "Read with confidence", ...share },
    { key: "readability", name: "Read as the digit asked for", ...share },
    { key: "class_spread", name: "Class spread", show: (v) => v.toFixed(3), diff: (d) => signed(d, 3), better: 1 },
    { key: "frechet", name: "Fréchet distance (judge's features)", show: (v) => v.toFixed(2), diff: (d) => signed(d, 2), better: -1 },
    { key: "neg_elbo_nats", name: "Held-out −ELBO (nats per picture)", show: (v) => v.toFixed(1), diff: (d) => signed(d, 1), better: -1 },
  ],
  classifier: [
    { key: "accuracy", name: "Test accuracy", ...share },
    { key: "top3_accuracy", name: "Top-3 accuracy", ...share },
  ],
};

const FILES = {
  "model.onnx": "the model (ONNX)",
  "card.json": "its card (JSON)",
  "history.json": "its history per epoch (JSON)",
  "curves.png": "its curves (PNG)",
  "confusion.png": "its confusion matrix on the test split (PNG)",
  "events.jsonl": "every event of the run (JSON lines)",
};

const finite = (v) => typeof v === "number" && Number.isFinite(v);

function verdict(difference, better) {
  if (Math.abs(difference) < 1e-12) return "the same";
  return difference * better > 0 ? "better" : "worse";
}

// What a model was scored on: "10,000 held-out test examples", or null when the metrics do not say.
function scoredOn(metrics) {
  if (finite(metrics.test_examples)) return `${count(metrics.test_examples)} held-out test examples`;
  if (finite(metrics.characters)) return `${count(metrics.characters)} held-out characters`;
  if (finite(metrics.samples)) return `${count(metrics.samples)} drawn pictures, judged by ${metrics.judge ?? "a classifier"}`;
  return null;
}

function caption(ours, theirs) {
  const [a, b] = [scoredOn(ours), scoredOn(theirs)];
  if (a && b && a !== b) return `Your run on ${a}; the shipped model on ${b}`;
  return a || b ? `On the same ${a || b}` : "On the same held-out test";
}

function comparison(run, card, kind, labels) {
  const ours = run.metrics ?? {};
  const theirs = card?.metrics ?? {};
  const shown = (METRICS[kind] ?? METRICS.classifier).filter((m) => m.key !== "top3_accuracy" || (labels?.length ?? 0) > 3);
  const rows = shown.filter((m) => finite(ours[m.key])).map((m) => {
    const shipped = theirs[m.key];
    const d = finite(shipped) ? ours[m.key] - shipped : null;
    return h("tr", { "data-metric": m.key },
      h("th", { scope: "row" }, m.name),
      h("td", { "data-testid": `lab-yours-${m.key}` }, m.show(ours[m.key])),
      h("td", {}, finite(shipped) ? m.show(shipped) : "–"),
      h("td", {}, d == null ? "–" : `${m.diff(d)} (${verdict(d, m.better)})`));
  });
  const plain = (name, yours, shipped, show) => h("tr", {}, h("th", { scope: "row" }, name),
    h("td", {}, finite(yours) ? show(yours) : "–"), h("td", {}, finite(shipped) ? show(shipped) : "–"), h("td", {}, ""));
  return h("table", { class: "lab-compare", "data-testid": "lab-compare" },
    h("caption", {}, caption(ours, theirs)),
    h("thead", {}, h("tr", {}, h("td", {}), h("th", { scope: "col" }, "Your run"), h("th", { scope: "col" }, "Shipped"),
      h("th", { scope: "col" }, "Difference"))),
    h("tbody", {}, rows,
      plain("Parameters", run.parameters, card?.parameters, count),
      plain("Training time", run.seconds, card?.training?.seconds, duration)));
}

// The classes whose test accuracy differs most between the two, as the trainer measured both on the same test
// split when the run finished (a classifier's run only).
function differences(run, labels) {
  const ours = run.metrics?.per_class;
  const theirs = run.shipped?.per_class;
  if (!Array.isArray(ours) || !Array.isArray(theirs) || ours.length !== theirs.length) return null;
  const rows = ours.map((a, i) => ({ label: labels?.[i] ?? String(i), a, b: theirs[i], d: a - theirs[i] }))
    .filter((r) => finite(r.d)).sort((p, q) => Math.abs(q.d) - Math.abs(p.d)).slice(0, 5);
  if (!rows.length) return null;
  return h("section", { class: "lab-differ", "data-testid": "lab-differ" },
    h("h4", {}, "Where the two differ most"),
    h("ul", {}, rows.map((r) => h("li", {}, h("strong", {}, r.label), `: yours ${percent(r.a, 1)}, shipped ${percent(r.b, 1)} `,
      h("span", { class: "muted" }, `(${points(r.d)})`)))));
}

function downloads(files) {
  const entries = Object.entries(files ?? {});
  if (!entries.length) return null;
  return h("section", { class: "lab-downloads", "data-testid": "lab-downloads" },
    h("h4", {}, "Download"),
    h("ul", {}, entries.map(([name, url]) => h("li", {},
      h("a", { href: url, download: name, "data-testid": `lab-file-${name}` }, name),
      FILES[name] && h("span", { class: "muted" }, ` ${FILES[name]}`)))));
}

export function runResult(run, experiment, { onPlay } = {}) {
  const labels = experiment.details?.labels;
  const play = onPlay
    ? h("button", { type: "button", class: "primary", "data-testid": "lab-play", onclick: () => onPlay(run) }, "Play with it")
    : h("p", { class: "muted" }, "This page's demo plays with the shipped model only: download yours to use it elsewhere.");
  return h("div", { class: "lab-result", "data-testid": "lab-result" },
    h("h4", {}, "Your model against the shipped one"),
    h("div", { class: "lab-compare-wrap", role: "region", tabindex: "0", "aria-label": "Your model against the shipped one, scrolls sideways" },
      comparison(run, experiment.card, experiment.kind, labels)),
    differences(run, labels),
    h("div", { class: "lab-play" }, play,
      onPlay && h("span", { class: "muted" }, "The demo above shows your model's answers beside the shipped one's.")),
    downloads(run.files),
    run.command && h("p", { class: "lab-command" }, "Train it again from a terminal: ", h("code", { "data-testid": "lab-command" }, run.command)));
}
