// What the network has learned, redrawn at each validation of a lab run, from the views the trainer sends:
// for classifiers the 16 fixed validation examples with the current guess, the confusion matrix and accuracy
// per class, the most confused pairs, the worst mistakes, the first layer's filters and one example's
// activations; for the summation model its answers to fixed sums; for a text model its latest sample; for an image
// generator the grid it draws from fixed latent points (lab-drawings.js).
//
//   const views = createLabViews(element, experiment, started.view);  // once, from the `started` event
//   views.seen(validation);                                          // each `validation` event, as it comes
//   views.update(validation);                                        // the newest, when the page redraws
//
// Right and wrong guesses differ by a mark (✓ ✗) and a border style as well as by colour.

import { appendTo, count, h, percent } from "../dom.js";
import { drawings } from "./lab-drawings.js";

const WORST_CLASSES = 10; // with many classes, only the hardest are listed

function section(title, testid, ...children) {
  return h("section", { class: "lab-view", "data-testid": testid }, h("h4", {}, title), ...children);
}

function picture(src, alt, className = "lab-picture") {
  return h("img", { class: className, src, alt });
}

// The 16 fixed examples with the current guess for each.
function exampleGrid(examples, labels) {
  const items = examples.map((example, i) => {
    const caption = h("figcaption", {}, "no guess yet");
    const item = h("li", { class: "lab-example", "data-testid": `lab-example-${i}` },
      h("figure", {}, picture(example.image, `Validation example ${i + 1}: ${labels[example.label]}`), caption));
    return { item, caption, truth: example.label };
  });
  const element = section("Its guesses for 16 validation pictures", "lab-examples",
    h("ul", { class: "lab-example-grid" }, items.map((x) => x.item)));
  function show(guesses) {
    items.forEach(({ item, caption, truth }, i) => {
      const guess = guesses?.[i];
      if (!guess) return;
      const right = guess.label === truth;
      const none = guess.label == null; // it made no guess (a hand model that saw no hand): wrong
      item.dataset.right = String(right);
      caption.replaceChildren();
      appendTo(caption, h("span", { class: "mark", "aria-hidden": "true" }, right ? "✓" : "✗"), " ",
        none ? "no guess" : [h("strong", {}, labels[guess.label]), ` ${percent(guess.probability, 0)}`],
        right ? h("span", { class: "visually-hidden" }, ", right") : h("span", { class: "is" }, ` (is ${labels[truth]})`));
    });
  }
  return { element, show };
}

// Rows are the true class, columns the guess; each cell shaded by its share of the row.
function confusionTable(confusion, labels) {
  const max = (row) => Math.max(1, row.reduce((a, b) => a + b, 0));
  return h("table", { class: "lab-confusion", "data-testid": "lab-confusion" },
    h("caption", {}, "Rows: the true class. Columns: its guess. The diagonal is right."),
    h("thead", {}, h("tr", {}, h("td", {}), labels.map((l) => h("th", { scope: "col" }, l)))),
    h("tbody", {}, confusion.map((row, i) => h("tr", {}, h("th", { scope: "row" }, labels[i]),
      row.map((n, j) => h("td", { class: i === j ? "right" : n ? "wrong" : null, style: `--share: ${(n / max(row)).toFixed(3)}` },
        count(n)))))));
}

// Each class's validation accuracy (null: no validation example of it); with many classes, the hardest only.
function perClass(accuracies, labels) {
  const rows = accuracies.map((a, i) => ({ label: labels[i], a }));
  const shown = rows.length > 20
    ? rows.filter((r) => r.a != null).sort((p, q) => p.a - q.a).slice(0, WORST_CLASSES) : rows;
  return h("ul", { class: "lab-per-class", "data-testid": "lab-per-class" },
    shown.map(({ label, a }) => h("li", { "aria-label": `${label}: ${a == null ? "no validation examples" : percent(a)}` },
      h("span", { class: "name" }, label),
      h("span", { class: "track" }, h("span", { class: "fill", style: `width: ${percent(a ?? 0)}` })),
      h("span", { class: "value" }, a == null ? "–" : percent(a)))));
}

function classifier(root, started) {
  const labels = started.labels ?? [];
  const grid = started.examples?.length ? exampleGrid(started.examples, labels) : null;
  const classes = h("div", { class: "lab-classes" });
  const mistakes = h("div", { class: "lab-group" });
  const inside = h("div", { class: "lab-group" });
  appendTo(root, grid?.element, classes, mistakes, inside);

  // The sections stay and only their insides are redrawn, so that a reader scrolling the matrix keeps the focus.
  const confusion = h("div", { class: "lab-confusion-wrap", role: "region", tabindex: "0",
    "aria-label": "Confusion matrix, scrolls sideways" });
  const accuracies = h("div");
  const confused = h("ol", { class: "lab-confused" });

  return (view) => {
    grid?.show(view.guesses);
    if (!classes.childElementCount) {
      const hardest = (view.per_class?.length ?? 0) > 20;
      appendTo(classes,
        view.confusion && section("Confusion matrix (validation)", "lab-confusion-view", confusion),
        view.per_class && section(hardest ? `The ${WORST_CLASSES} hardest classes (validation accuracy)` : "Accuracy per class (validation)",
          "lab-per-class-view", accuracies),
        !view.confusion && view.confused && section("Most often confused", "lab-confused", confused));
    }
    if (view.confusion) confusion.replaceChildren(confusionTable(view.confusion, labels));
    if (view.per_class) accuracies.replaceChildren(perClass(view.per_class, labels));
    confused.replaceChildren(...(view.confused ?? []).map((c) =>
      h("li", {}, h("strong", {}, labels[c.truth]), " taken for ", h("strong", {}, labels[c.guess]), ` ${count(c.count)} times`)));
    if (!("mistakes" in view || "filters" in view || "activations" in view)) return; // pictures come every 15 s: keep the last
    mistakes.replaceChildren(...(view.mistakes?.length ? [section("Its most confident mistakes", "lab-mistakes",
      h("ul", { class: "lab-mistakes" }, view.mistakes.map((m) => h("li", {}, h("figure", {},
        picture(m.image, `A ${labels[m.truth]} it took for ${labels[m.guess]}`),
        h("figcaption", {}, h("span", { class: "mark", "aria-hidden": "true" }, "✗"), " ", h("strong", {}, labels[m.guess]),
          ` ${percent(m.probability, 0)}`, h("span", { class: "is" }, ` (is ${labels[m.truth]})`)))))))] : []));
    inside.replaceChildren(...[
      view.filters && section("What the first layer looks for", "lab-filters",
        h("figure", {}, picture(view.filters.image, view.filters.caption || "The first layer's filters", "lab-filters"),
          view.filters.caption && h("figcaption", {}, view.filters.caption))),
      view.activations?.length > 0 && section("Inside the network: validation example 1 at each stage", "lab-activations",
        h("ul", { class: "lab-activations" }, view.activations.map((a) => h("li", {}, h("figure", {},
          picture(a.image, a.stage, "lab-activation"), h("figcaption", {}, a.stage)))))),
    ].filter(Boolean));
  };
}

function sums(root) {
  const body = h("tbody");
  const right = h("p", { class: "muted" });
  root.append(section("Its answers to 12 fixed sums", "lab-sums",
    h("table", { class: "lab-sums" }, h("thead", {}, h("tr", {}, ["Sum", "Its answer", "Right answer", ""].map((t, i) =>
      h("th", { scope: "col" }, i === 3 ? h("span", { class: "visually-hidden" }, "Right or wrong") : t)))), body), right));
  return (view) => {
    body.replaceChildren(...view.samples.map((s) => h("tr", { "data-right": String(Boolean(s.right)) },
      h("td", {}, s.text), h("td", { class: "given" }, s.answer || "(nothing)"), h("td", {}, s.truth),
      h("td", { class: "mark" }, s.right ? "✓ right" : "✗ wrong"))));
    right.textContent = `${count(view.samples.filter((s) => s.right).length)} of ${count(view.samples.length)} right.`;
  };
}

function sample(root, started) {
  const text = h("pre", { class: "lab-sample gen-sample", "data-testid": "lab-sample" });
  root.append(section("What it writes now", "lab-text", text));
  return (view) => {
    text.replaceChildren(...[started.prompt && h("span", { class: "prompt-text" }, started.prompt), view.sample ?? ""].filter(Boolean));
  };
}

export function createLabViews(root, experiment, started = {}) {
  root.classList.add("lab-views");
  const when = h("p", { class: "lab-view-when muted", "data-testid": "lab-view-when" });
  root.append(when);
  let draw = null;
  const grids = []; // each validation's grid of drawings (a replayed log comes faster than the page redraws)

  function seen(validation) {
    if (validation?.view?.drawn) grids.push({ src: validation.view.drawn, epoch: validation.epoch });
  }

  function update(validation) {
    const view = validation?.view;
    if (!view) return;
    draw ??= view.samples ? sums(root) : "sample" in view ? sample(root, started)
      : "drawn" in view ? drawings(root, experiment, started) : classifier(root, started);
    when.textContent = `As it stood after epoch ${validation.epoch}` + (Number.isFinite(validation.step) ? ` (step ${count(validation.step)}).` : ".");
    draw(view, validation, grids);
  }

  return { update, seen };
}
