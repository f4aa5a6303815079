// An image generator's held-out figures in words, for its model card: no picture it draws has a right answer,
// so a classifier trained here (the judge) reads them. Figures the card lacks are left out.
//
//   rows = generatorScores(card.metrics, experiment.details.labels);  // [[name, value], ...]

import { count, percent } from "../dom.js";

const finite = (v) => typeof v === "number" && Number.isFinite(v);
const fixed = (v, digits) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(digits));

// The classes the judge read most often: "8 93%, 0 7%".
function mostRead(shares, labels) {
  if (!Array.isArray(shares)) return "";
  const read = shares.map((s, i) => ({ label: labels[i] ?? String(i), s })).filter((r) => r.s > 0)
    .sort((p, q) => q.s - p.s).slice(0, 3);
  return read.length ? `; read most as ${read.map((r) => `${r.label} ${percent(r.s, 0)}`).join(", ")}` : "";
}

// The classes a conditional model draws worst, as the judge reads them: "2 0%, 3 12%".
function hardest(perClass, labels) {
  if (!Array.isArray(perClass)) return "";
  const worst = perClass.map((a, i) => ({ label: labels[i] ?? String(i), a })).filter((r) => finite(r.a))
    .sort((p, q) => p.a - q.a).slice(0, 3);
  return worst.length ? `; hardest: ${worst.map((r) => `${r.label} ${percent(r.a, 0)}`).join(", ")}` : "";
}

export function generatorScores(m, labels = []) {
  const judge = m.judge ?? "the judge";
  const pictures = finite(m.samples) ? `${count(m.samples)} pictures` : "its pictures";
  return [
    finite(m.confident) && ["Read with confidence", `${percent(m.confident, 1)} of ${pictures} read with confidence by ${judge}`],
    finite(m.class_spread) && ["Class spread",
      `${m.class_spread.toFixed(2)} (1: all kinds equally often)${mostRead(m.class_shares, labels)}`],
    finite(m.readability) && ["Read as asked",
      `${percent(m.readability, 1)} of its digits read as the digit asked for${hardest(m.readability_per_class, labels)}`],
    finite(m.frechet) && ["Fréchet distance",
      `${fixed(m.frechet, 2)} in ${judge}'s feature space`
      + (finite(m.frechet_floor) ? `, train-to-test floor ${m.frechet_floor.toFixed(2)}` : "")
      + "; lower is nearer real pictures (not the Inception FID)"],
    finite(m.neg_elbo_nats) && ["Held-out −ELBO",
      `${fixed(m.neg_elbo_nats, 1)} nats per picture`
      + (finite(m.test_examples) ? ` on ${count(m.test_examples)} test digits` : "")
      + (finite(m.reconstruction_nats) && finite(m.kl_nats)
        ? ` (reconstruction ${fixed(m.reconstruction_nats, 1)} + KL ${fixed(m.kl_nats, 1)})` : "")],
    finite(m.reconstruction_mse) && ["Redrawn test digits", `mean squared error ${m.reconstruction_mse.toFixed(4)} per pixel`],
  ].filter(Boolean);
}
