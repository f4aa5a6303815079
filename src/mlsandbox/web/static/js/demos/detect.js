// The "detect" demo: the camera with the objects the detector finds drawn over it live, and a photo to
// send instead for people without a camera. data-state: the live panel "off", "waiting", "live" or "error"
// (components/live-frames.js); the photo panel "empty", "busy", "answered" or "error".
import { colourOf, drawBoxes } from "../components/boxes.js";
import { createLiveFrames } from "../components/live-frames.js";
import { drawPhoto, postPhoto } from "../components/photo-canvas.js";
import { createPhotoInput } from "../components/photo-input.js";
import { createThreshold } from "../components/threshold.js";
import { h, percent } from "../dom.js";

// A list of what was found, as chips in each label's colour.
function foundList(testid) {
  const list = h("ul", { class: "found", "data-testid": testid });
  return Object.assign(list, {
    show(detections, threshold) {
      list.replaceChildren(...(detections.length
        ? detections.map(({ label, score }) => h("li", { style: `--colour: ${colourOf(label)}` }, `${label} ${percent(score, 0)}`))
        : [h("li", { class: "none" }, `Nothing found scored ${percent(threshold, 0)} or more.`)]));
    },
  });
}

export function mount(root, { experiment }) {
  const base = `/api/experiments/${encodeURIComponent(experiment.id)}`;
  // The server's messages, except the one already shown at the top for a model not being served.
  const said = (message) => (!experiment.trained && message === experiment.problem
    ? "The detector is not being served: see the message at the top." : message);
  let threshold = experiment.details.score_threshold ?? 0.35;

  const settings = createThreshold({ value: threshold, label: "Lowest score shown ",
    hint: "lower: more boxes, more mistakes", onChange });
  const liveFound = foundList("live-detections");
  const live = h("section", { class: "panel detect-live", "data-testid": "detect-live", "data-state": "off" },
    h("h3", {}, "Live from your camera"));

  const photoCanvas = h("canvas", { class: "photo-canvas", "data-testid": "detect-canvas" });
  const photoFigure = h("figure", { class: "photo-figure", hidden: true }, photoCanvas);
  const photoFound = foundList("photo-detections");
  const photoTiming = h("p", { class: "timing muted", "data-testid": "photo-ms" });
  const photoError = h("p", { class: "demo-error", role: "alert", "data-testid": "photo-error", hidden: true });
  const photo = h("section", { class: "panel detect-photo", "data-testid": "detect-photo", "data-state": "empty" },
    h("h3", {}, "Or a photo"));

  root.append(h("div", { class: "detect-demo" },
    experiment.trained ? null : h("p", { class: "demo-error", "data-testid": "detect-problem" }, experiment.problem),
    settings, h("div", { class: "vision-demo" }, live, photo)));
  createPhotoInput(photo, { onPhoto: detectPhoto, lead: "No camera?" });
  photo.append(photoFigure, photoFound, photoTiming, photoError);
  photoFound.hidden = true;

  // --- live: frames from the camera over a WebSocket ---
  const feed = createLiveFrames(live, {
    url: `${base}/frames`, facing: "environment", trained: experiment.trained, problem: experiment.problem, said,
    words: { who: "the detector", needs: "Live detection needs the detector", stopped: "Live detection stopped",
             idle: "Start the camera and point it at people, cups, chairs, plants…" },
    onAnswer(answer, place) {
      if (place) {
        drawBoxes(feed.overlay.getContext("2d"), answer.detections,
          ([x1, y1, x2, y2]) => [...place([x1, y1]), ...place([x2, y2])], { scale: devicePixelRatio });
      }
      liveFound.show(answer.detections, threshold);
      liveFound.hidden = false;
    },
    onClear: () => (liveFound.hidden = true),
  });
  live.append(liveFound);
  feed.configure({ threshold });

  // --- a photo, sent once ---
  let photoAsked = 0;
  let lastPhoto = null;

  async function detectPhoto(blob) {
    lastPhoto = blob;
    const mine = ++photoAsked;
    photo.dataset.state = "busy";
    const { bitmap, answer, problem } = await postPhoto(`${base}/detect?threshold=${threshold}`, blob);
    if (mine !== photoAsked) return bitmap?.close();
    photo.dataset.state = answer ? "answered" : "error";
    photoError.textContent = said(problem);
    photoError.hidden = !problem;
    photoFigure.hidden = !bitmap;
    photoFound.hidden = !answer;
    photoTiming.textContent = answer ? `Answered in ${answer.milliseconds.toFixed(0)} ms on the server.` : "";
    if (answer) photoFound.show(answer.detections, threshold);
    if (!bitmap) return;
    const ctx = drawPhoto(photoCanvas, bitmap);
    bitmap.close();
    if (!answer) return;
    const [sx, sy] = [photoCanvas.width / answer.width, photoCanvas.height / answer.height];
    drawBoxes(ctx, answer.detections, ([x1, y1, x2, y2]) => [x1 * sx, y1 * sy, x2 * sx, y2 * sy],
      { scale: photoCanvas.width / Math.max(1, photoCanvas.clientWidth) });
  }

  function onChange(value) {
    threshold = value;
    feed.configure({ threshold });
    if (lastPhoto) detectPhoto(lastPhoto);
  }
}
