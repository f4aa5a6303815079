// Which charts a lab run draws, and in which words: training loss and accuracy beside validation's for most
// models; for an image generator, its networks' losses (a loss's parts, from the step events) and the judge's
// figures, each named for what it measures (a GAN's validation "loss" is a Fréchet distance).
//
//   const { charts, announce } = chartPlan(experiment);
//   charts: [{ testid, caption, label, format, tick, yMin, yMax, optional, series: [{ key, name, dots, points }] }]
//   series.points(data) -> [[x, y], ...], where data = { steps: { loss, accuracy, parts: { name: [...] } },
//                                                       validations: { loss, accuracy } }
//   announce(validationEvent) -> what a screen reader hears after each validation
//
// An optional chart is hidden while it has no points and the others have some.

import { percent } from "../dom.js";

export const loss = (y) => (Math.abs(y) >= 100 ? y.toFixed(0) : Math.abs(y) >= 10 ? y.toFixed(1) : y.toFixed(3));
const said = (y, format) => (Number.isFinite(y) ? format(y) : "not a number");
const shares = { yMin: 0, yMax: 1, format: (y) => percent(y, 1), tick: (y) => percent(y, 0) };
const part = (name) => (data) => data.steps.parts[name] ?? [];

function classic() {
  return {
    charts: [
      { testid: "chart-loss", label: "Loss", format: loss, tick: String,
        caption: "Loss: training per step, validation per epoch. Validation rising while training falls is overfitting.",
        series: [{ key: "train", name: "training loss", points: (d) => d.steps.loss },
          { key: "val", name: "validation loss", dots: true, points: (d) => d.validations.loss }] },
      { testid: "chart-accuracy", label: "Accuracy", optional: true, ...shares,
        caption: "Accuracy: training per step, validation per epoch.",
        series: [{ key: "train", name: "training accuracy", points: (d) => d.steps.accuracy },
          { key: "val", name: "validation accuracy", dots: true, points: (d) => d.validations.accuracy }] },
    ],
    announce: (e) => `Epoch ${e.epoch}: validation loss ${said(e.val_loss, loss)}`
      + (e.val_accuracy != null ? `, accuracy ${percent(e.val_accuracy, 1)}.` : "."),
  };
}

function gan(judge) {
  return {
    charts: [
      { testid: "chart-loss", label: "The two networks' losses", format: loss, tick: String,
        caption: "The two networks' losses per step. The discriminator learns to tell training pictures from drawn ones, "
          + "the generator to have its pictures taken for real: they play against each other, so neither falls to zero, "
          + "and one running away means the other has won.",
        series: [{ key: "discriminator", name: "discriminator loss", points: part("discriminator") },
          { key: "generator", name: "generator loss", points: part("generator") }] },
      { testid: "chart-frechet", label: "Fréchet distance", format: (y) => y.toFixed(2), tick: String,
        caption: `Fréchet distance after each epoch: its pictures against the validation pictures in ${judge}'s features. Lower is closer to real.`,
        series: [{ key: "val", name: "Fréchet distance (validation)", dots: true, points: (d) => d.validations.loss }] },
      { testid: "chart-accuracy", label: "Read with confidence", ...shares,
        caption: `The share of its pictures ${judge} reads with confidence, after each epoch.`,
        series: [{ key: "val", name: "read with confidence (validation)", dots: true, points: (d) => d.validations.accuracy }] },
    ],
    announce: (e) => `Epoch ${e.epoch}: Fréchet distance ${said(e.val_loss, (y) => y.toFixed(2))}`
      + (e.val_accuracy != null ? `, ${percent(e.val_accuracy, 1)} read with confidence.` : "."),
  };
}

function vae(judge) {
  return {
    charts: [
      { testid: "chart-loss", label: "Loss in nats per picture", format: loss, tick: String,
        caption: "Loss in nats per picture: reconstruction (how unlikely each picture is under the decoder's drawing) "
          + "plus KL (how far the encoder's regions stray from the standard normal the decoder draws from). Training per "
          + "step, validation (the negative ELBO) per epoch.",
        series: [{ key: "train", name: "training loss", points: (d) => d.steps.loss },
          { key: "reconstruction", name: "reconstruction", points: part("reconstruction") },
          { key: "kl", name: "KL", points: part("kl") },
          { key: "val", name: "validation −ELBO", dots: true, points: (d) => d.validations.loss }] },
      { testid: "chart-accuracy", label: "Read as asked", ...shares,
        caption: `The share of the digits it draws that ${judge} reads as the digit asked for, after each epoch.`,
        series: [{ key: "val", name: "read as asked (validation)", dots: true, points: (d) => d.validations.accuracy }] },
    ],
    announce: (e) => `Epoch ${e.epoch}: validation −ELBO ${said(e.val_loss, loss)} nats`
      + (e.val_accuracy != null ? `, ${percent(e.val_accuracy, 1)} read as the digit asked for.` : "."),
  };
}

export function chartPlan(experiment) {
  if (experiment.kind !== "image generator") return classic();
  const judge = experiment.details?.judge ?? "the judge";
  return experiment.details?.conditional ? vae(judge) : gan(judge);
}
