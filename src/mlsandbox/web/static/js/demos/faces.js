// The "faces" demo: the selfie camera with every face the face reader finds boxed live, each with its likeliest
// expression, the seven expressions of the largest face as bars, and a photo to send instead for people without
// a camera. data-state: the live panel "off", "waiting", "live" or "error" (components/live-frames.js); the
// photo panel "empty", "busy", "answered" or "error".
import { createBars } from "../components/bars.js";
import { colourOf, drawBoxes } from "../components/boxes.js";
import { createLiveFrames } from "../components/live-frames.js";
import { drawPhoto, postPhoto } from "../components/photo-canvas.js";
import { createPhotoInput } from "../components/photo-input.js";
import { createThreshold } from "../components/threshold.js";
import { h, percent } from "../dom.js";

const area = ({ box: [x1, y1, x2, y2] }) => Math.abs(x2 - x1) * Math.abs(y2 - y1);
const largest = (faces) => faces.reduce((big, face) => (area(face) > area(big) ? face : big), faces[0]);
const likelihood = (face) => face.probabilities?.[face.expression] ?? 0;

const tag = (face) => `${face.expression} ${percent(likelihood(face), 0)}`; // the words on its box and its chip

// What drawBoxes draws for a face: its box, tagged with its likeliest expression and that expression's chance.
const asBoxes = (faces) => faces.map((face) => ({ label: face.expression, score: likelihood(face), box: face.box }));

// The faces found, as chips in each expression's colour, or in words that none was.
function faceList(testid) {
  const list = h("ul", { class: "found", "data-testid": testid });
  return Object.assign(list, {
    show(faces, threshold) {
      list.replaceChildren(...(faces.length
        ? faces.map((face) => h("li", { style: `--colour: ${colourOf(face.expression)}` }, tag(face)))
        : [h("li", { class: "none" }, `No face found scored ${percent(threshold, 0)} or more.`)]));
    },
  });
}

// The seven expressions of the largest face as bars, under a caption that says which face they are.
function faceChart(labels, testid) {
  const caption = h("figcaption", { "data-testid": `${testid}-caption` });
  const bars = h("div", { "data-testid": testid });
  const chart = createBars(bars, labels);
  const figure = h("figure", { class: "faces-chart" }, caption, bars);
  return Object.assign(figure, {
    show(faces) {
      if (!faces.length) {
        caption.textContent = "The expressions of the largest face: none in view.";
        chart.update(null);
        return;
      }
      const face = largest(faces);
      caption.textContent = faces.length === 1 ? "The face's expressions"
        : `The expressions of the largest of ${faces.length} faces, the one tagged ${tag(face)}`;
      chart.update(labels.map((label) => ({ label, probability: face.probabilities?.[label] ?? 0 }))
        .sort((a, b) => b.probability - a.probability));
    },
  });
}

export function mount(root, { experiment }) {
  const base = `/api/experiments/${encodeURIComponent(experiment.id)}`;
  const labels = experiment.details.labels ?? [];
  // The server's messages, except the one already shown at the top for a model not being served.
  const said = (message) => (!experiment.trained && message === experiment.problem
    ? "The face reader is not being served: see the message at the top." : message);
  let threshold = experiment.details.score_threshold ?? 0.85;

  const settings = createThreshold({ value: threshold, label: "Lowest detection score shown ",
    hint: "lower: more faces, and more things taken for faces", onChange });
  const privacy = h("p", { class: "faces-privacy muted", "data-testid": "privacy" },
    h("strong", {}, "Nothing is stored."), " Each camera frame or photo is read in the server's memory and dropped ",
    "with its answer: nothing is written to disk or sent anywhere else.");

  const liveFaces = faceList("live-faces");
  const liveChart = faceChart(labels, "live-bars");
  const liveResult = h("div", { class: "faces-result", hidden: true }, liveFaces, liveChart);
  const live = h("section", { class: "panel faces-live", "data-testid": "faces-live", "data-state": "off" },
    h("h3", {}, "Live from your camera"));

  const photoCanvas = h("canvas", { class: "photo-canvas", "data-testid": "faces-canvas" });
  const photoFigure = h("figure", { class: "photo-figure", hidden: true }, photoCanvas);
  const photoFaces = faceList("photo-faces");
  const photoChart = faceChart(labels, "photo-bars");
  const photoTiming = h("p", { class: "timing muted", "data-testid": "photo-ms" });
  const photoError = h("p", { class: "demo-error", role: "alert", "data-testid": "photo-error", hidden: true });
  const photo = h("section", { class: "panel faces-photo", "data-testid": "faces-photo", "data-state": "empty" },
    h("h3", {}, "Or a photo"));

  root.append(h("div", { class: "detect-demo faces-demo" },
    experiment.trained ? null : h("p", { class: "demo-error", "data-testid": "faces-problem" }, experiment.problem),
    settings, privacy, h("div", { class: "vision-demo" }, live, photo)));
  createPhotoInput(photo, { onPhoto: readPhoto, lead: "No camera?" });
  photo.append(photoError, photoFigure, photoFaces, photoChart, photoTiming);
  photoFaces.hidden = true;
  photoChart.hidden = true;

  // --- live: frames from the camera over a WebSocket ---
  const feed = createLiveFrames(live, {
    url: `${base}/frames`, facing: "user", trained: experiment.trained, problem: experiment.problem, said,
    words: { who: "the face reader", needs: "Reading faces live needs the face reader",
             stopped: "Reading faces stopped", idle: "Start the camera and look into it: smile, frown, look surprised…" },
    onAnswer(answer, place) {
      const faces = answer.faces ?? [];
      if (place) {
        drawBoxes(feed.overlay.getContext("2d"), asBoxes(faces),
          ([x1, y1, x2, y2]) => [...place([x1, y1]), ...place([x2, y2])], { scale: devicePixelRatio });
      }
      liveFaces.show(faces, threshold);
      liveChart.show(faces);
      liveResult.hidden = false;
    },
    onClear: () => (liveResult.hidden = true),
  });
  live.append(liveResult);
  feed.configure({ threshold });

  // --- a photo, sent once ---
  let photoAsked = 0;
  let lastPhoto = null;

  async function readPhoto(blob) {
    lastPhoto = blob;
    const mine = ++photoAsked;
    photo.dataset.state = "busy";
    const { bitmap, answer, problem } = await postPhoto(`${base}/faces?threshold=${threshold}`, blob);
    if (mine !== photoAsked) return bitmap?.close();
    const faces = answer?.faces ?? [];
    photo.dataset.state = answer ? "answered" : "error";
    photoError.textContent = said(problem);
    photoError.hidden = !problem;
    photoFigure.hidden = !bitmap;
    photoFaces.hidden = !answer;
    photoChart.hidden = !faces.length;
    photoTiming.textContent = answer ? `Answered in ${Number(answer.milliseconds ?? 0).toFixed(0)} ms on the server.` : "";
    if (answer) {
      photoFaces.show(faces, threshold);
      photoChart.show(faces);
    }
    if (!bitmap) return;
    const ctx = drawPhoto(photoCanvas, bitmap);
    bitmap.close();
    if (!answer) return;
    const [sx, sy] = [photoCanvas.width / answer.width, photoCanvas.height / answer.height];
    drawBoxes(ctx, asBoxes(faces), ([x1, y1, x2, y2]) => [x1 * sx, y1 * sy, x2 * sx, y2 * sy],
      { scale: photoCanvas.width / Math.max(1, photoCanvas.clientWidth) });
  }

  function onChange(value) {
    threshold = value;
    feed.configure({ threshold });
    if (lastPhoto) readPhoto(lastPhoto);
  }
}
