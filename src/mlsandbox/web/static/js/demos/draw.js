// The "draw" demo: one drawing pad, and every model of the family guessing it side by side.
import { postImage } from "../api.js";
import { createDrawPad } from "../components/draw.js";
import { createPrediction } from "../components/prediction.js";
import { modelUrl, withRun } from "../components/run-member.js";
import { h, showMessage } from "../dom.js";

export function mount(root, { experiment, members, run }) {
  guessWhileDrawing(root, { experiment, members: withRun(members, experiment, run), hint: "Draw one digit, 0 to 9, with a mouse, a finger or a pen." });
}

// A pad and a prediction per trained model, refreshed as the person draws. Options go to the pad
// (hint, fitStrokes) and to each prediction (top); onGuess(id, prediction or null) sees every answer.
// A member may be a lab run's model (components/run-member.js): it is asked on its own route.
export function guessWhileDrawing(root, { experiment, members, hint, fitStrokes = 0, top = 0, onGuess = () => {} }) {
  const padElement = h("div");
  const results = h("div", { class: "predictions", "data-testid": "predictions" });
  root.append(h("div", { class: "draw-demo" }, padElement, results));

  const pad = createDrawPad(padElement, { hint, fitStrokes });
  const trained = members.filter((m) => m.trained);
  const views = new Map(members.map((m) => {
    const element = h("section");
    results.append(element);
    return [m.id, createPrediction(element, m, { current: m.id === experiment.id, top })];
  }));
  const query = top ? { show_input: true, top } : { show_input: true };

  async function guess(m, blob) {
    try {
      const prediction = await postImage(modelUrl(m, "predict", query), blob);
      views.get(m.id).show(prediction);
      onGuess(m.id, prediction);
    } catch (error) {
      views.get(m.id).reset();
      return error.message;
    }
  }

  pad.onChange(async (blob) => {
    if (!blob) {
      views.forEach((view) => view.reset());
      members.forEach((m) => onGuess(m.id, null));
      showMessage("");
      return;
    }
    const errors = await Promise.all(trained.map((m) => guess(m, blob)));
    showMessage([...new Set(errors.filter(Boolean))].join("\n"));
  });

  if (!trained.length) showMessage("No model of this family is trained yet, so nothing can guess your drawing.");
  return pad;
}
