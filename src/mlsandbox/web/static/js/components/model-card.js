// "How it was trained": a model card's key facts, its learning curves, confusion matrix and notebook; or
// for a pretrained model, where its weights come from.
import { count, h, percent } from "../dom.js";
import { generatorScores } from "./generator-card.js";
import { pretrainedFacts } from "./pretrained-card.js";

// Whether a model is imported rather than trained here. Without a card, only the kind can tell.
export const isPretrained = (experiment) => (experiment.card
  ? Boolean(experiment.card.source?.pretrained)
  : experiment.kind === "object detector" || experiment.details?.input === "photo");

// The held-out scores each kind reports; image classifiers by default.
const SCORES = {
  "text generator": (m) => [
    ["Held-out text", `${m.nats_per_char.toFixed(2)} nats per character, ${m.bits_per_char.toFixed(2)} bits per character`],
    ["Next-character accuracy", percent(m.accuracy, 2)],
  ],
  "sequence translator": (m) => [["Exact match", `${percent(m.exact_match, 2)} on ${count(m.test_examples)} held-out examples`]],
  "hand landmark reader": (m) => [
    ["Test accuracy", `${percent(m.accuracy, 2)} on ${count(m.test_examples)} held-out renders (no hand seen counts as wrong)`],
    ["Hand seen", `in ${percent(m.hands_seen, 1)} of them; the pose right in ${percent(m.accuracy_where_seen, 1)} of those`],
  ],
  "image generator": generatorScores,
};
// Test accuracy in each group of test examples the data names (the hand renders: by what training never had),
// from the card's metrics or, for a model trained before they were reported, from its accuracy benchmark.
function byGroup(card) {
  const groups = Object.entries(card.metrics.by_group ?? card.benchmarks?.accuracy?.by_group ?? {})
    .filter(([, group]) => group.accuracy != null);
  return groups.length > 0 && ["Test accuracy by group", h("ul", { class: "groups" }, groups.map(([name, group]) =>
    h("li", {}, h("span", {}, name), h("span", {}, `${percent(group.accuracy, 1)} of ${count(group.examples)}`))))];
}
const CLASSIFIES = (kind) => !["text generator", "sequence translator", "image generator"].includes(kind); // has a confusion matrix
const DRAWS = (kind) => kind === "image generator"; // its curves are losses and the judge's figures

function facts(kind, card, labels) {
  const { metrics, training, split } = card;
  const rows = [
    ...(SCORES[kind]?.(metrics, labels) ?? [
      ["Test accuracy", `${percent(metrics.accuracy, 2)} on ${count(metrics.test_examples)} held-out images`],
      metrics.top3_accuracy != null && (labels?.length ?? Infinity) > 3 && ["Top-3 accuracy", percent(metrics.top3_accuracy, 2)],
    ]),
    byGroup(card),
    ["Parameters", count(card.parameters)],
    ["Training", `${training.seconds} s, ${count(training.epochs)} epoch${training.epochs === 1 ? "" : "s"} (best: ${training.best_epoch}) on ${training.device}`],
    ["Data", card.dataset],
    ["Split", Object.entries(split).map(([part, n]) => `${part} ${count(n)}`).join(" · ")],
    ["Reproduce", h("code", { "data-testid": "command" }, card.command)],
  ];
  return h("dl", { class: "facts" }, rows.filter(Boolean).map(([name, value]) => [h("dt", {}, name), h("dd", {}, value)]));
}

function figure(src, caption, testid) {
  const img = h("img", { src, alt: caption, "data-testid": testid });
  const fig = h("figure", {}, img, h("figcaption", {}, caption));
  img.addEventListener("error", () => fig.remove());
  return fig;
}

export function modelCard(experiment) {
  const { id, card } = experiment;
  const root = h("article", { class: "model-card", "data-testid": `training-${id}` }, h("h3", {}, experiment.title));
  if (!card && isPretrained(experiment)) {
    root.append(h("p", { class: "untrained" }, experiment.problem ?? "Not imported yet."));
    return root;
  }
  if (!card) {
    root.append(h("p", {}, "Not trained yet. Train it with ", h("code", {}, `mlsandbox train ${id}`), "."));
    return root;
  }
  if (isPretrained(experiment)) {
    root.append(...pretrainedFacts(card).filter(Boolean));
    if (experiment.notebook) {
      root.append(h("p", {}, h("a", { href: experiment.notebook, download: "" }, "Download the notebook"),
        " that imports and explains it."));
    }
    return root;
  }
  root.append(
    facts(experiment.kind, card, experiment.details?.labels),
    h("div", { class: "figures" },
      figure(`/artifacts/${id}/curves.png`, DRAWS(experiment.kind) ? "Losses and validation figures per epoch" : "Loss and accuracy per epoch", `curves-${id}`),
      CLASSIFIES(experiment.kind) && figure(`/artifacts/${id}/confusion.png`, (experiment.details.labels?.length ?? 0) > 20 ? "The most confused pairs on the test split" : "Confusion matrix on the test split", `confusion-${id}`)),
    experiment.notebook
      ? h("p", {}, h("a", { href: experiment.notebook, download: "" }, "Download the notebook"), " that trains and explains it.")
      : h("p", { class: "muted" }, "No notebook in this installation."),
  );
  return root;
}
