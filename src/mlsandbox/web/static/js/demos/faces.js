// The "faces" demo: the selfie camera with every face the face reader finds boxed live, each with its likeliest
// expression, the seven expressions of the largest face as bars, and a photo to send instead for people without
// a camera. A frame goes to the server only once the previous one is answered. data-state: the live panel
// "off", "waiting", "live" or "error"; the photo panel "empty", "busy", "answered" or "error".
import { postImage } from "../api.js";
import { createBars } from "../components/bars.js";
import { colourOf, drawBoxes } from "../components/boxes.js";
import { createCamera, fitOverlay } from "../components/camera.js";
import { openFrameSocket } from "../components/frame-socket.js";
import { drawPhoto, shrink, uprightBitmap } from "../components/photo-canvas.js";
import { createPhotoInput } from "../components/photo-input.js";
import { h, percent } from "../dom.js";

const MIN_FRAME_MS = 1000 / 30; // the server closes on more than 60 frames a second
const PAUSE_AFTER_ERROR_MS = 2000;
const FPS_WINDOW_MS = 2000;

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

  const slider = h("input", { id: "threshold", type: "range", min: "0.05", max: "1", step: "0.05", value: threshold,
                              "data-testid": "threshold" });
  const shownThreshold = h("output", { for: "threshold", "data-testid": "threshold-value" }, percent(threshold, 0));
  const settings = h("div", { class: "detect-settings" },
    h("label", { for: "threshold" }, "Lowest detection score shown ", shownThreshold), slider,
    h("span", { class: "muted" }, "lower: more faces, and more things taken for faces"));
  const privacy = h("p", { class: "faces-privacy muted", "data-testid": "privacy" },
    h("strong", {}, "Nothing is stored."), " Each camera frame or photo is read in the server's memory and dropped ",
    "with its answer: nothing is written to disk or sent anywhere else.");

  const cameraElement = h("div");
  const overlay = h("canvas", { class: "overlay", "data-testid": "overlay", "aria-hidden": "true" });
  const stats = h("p", { class: "detect-stats muted", "data-testid": "stats" });
  const liveFaces = faceList("live-faces");
  const liveChart = faceChart(labels, "live-bars");
  const liveResult = h("div", { class: "faces-result", hidden: true }, liveFaces, liveChart);
  const liveError = h("p", { class: "demo-error", role: "alert", "data-testid": "live-error", hidden: true });
  const live = h("section", { class: "panel faces-live", "data-testid": "faces-live", "data-state": "off" },
    h("h3", {}, "Live from your camera"), cameraElement, stats, liveError, liveResult);

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
  const camera = createCamera(cameraElement, { facing: "user" });
  camera.stage.append(overlay);
  let socket = null;
  let capturing = false;
  let lastSent = 0;
  let answered = []; // when recent answers came, for the frame rate
  let timer = null;

  function setLive(state, { message = "", text = "" } = {}) {
    live.dataset.state = state;
    liveError.textContent = message;
    liveError.hidden = !message;
    if (text) stats.textContent = text;
  }

  function next(delay = 0) {
    clearTimeout(timer);
    const wait = Math.max(delay, lastSent + MIN_FRAME_MS - performance.now());
    timer = setTimeout(() => requestAnimationFrame(sendFrame), wait);
  }

  async function sendFrame() {
    if (capturing || camera.state !== "on" || !socket?.ready || socket.busy) return;
    capturing = true;
    const blob = await camera.snapshot();
    capturing = false;
    if (!blob || !socket?.ready) return next(200);
    lastSent = performance.now();
    socket.sendFrame(blob);
  }

  function clearLive() {
    overlay.getContext("2d").clearRect(0, 0, overlay.width, overlay.height);
    liveResult.hidden = true;
  }

  // Boxes in the frame's pixels onto the overlay, which covers the video's box (object-fit: contain; a selfie
  // view is mirrored, and fitOverlay places the boxes where the person sees the faces, the words unmirrored).
  function drawLive(answer, faces) {
    const place = fitOverlay(overlay, camera, [answer.width, answer.height]);
    if (!place) return;
    drawBoxes(overlay.getContext("2d"), asBoxes(faces), ([x1, y1, x2, y2]) => [...place([x1, y1]), ...place([x2, y2])],
      { scale: devicePixelRatio });
  }

  function onAnswer(what, answer) {
    if (what === "settings") {
      if (answer.error) setLive(live.dataset.state, { message: answer.error });
      return;
    }
    if (answer.error) {
      clearLive();
      setLive("error", { message: said(answer.error), text: "The server could not look at the last frame." });
      return next(PAUSE_AFTER_ERROR_MS);
    }
    const faces = answer.faces ?? [];
    const now = performance.now();
    answered = [...answered.filter((t) => now - t < FPS_WINDOW_MS), now];
    const seconds = (now - answered[0]) / 1000;
    const fps = answered.length > 1 ? ((answered.length - 1) / seconds).toFixed(1) : "–";
    drawLive(answer, faces);
    liveFaces.show(faces, threshold);
    liveChart.show(faces);
    liveResult.hidden = false;
    stats.replaceChildren(h("span", { "data-testid": "fps" }, fps), " frames per second · ",
      h("span", { "data-testid": "server-ms" }, Number(answer.milliseconds ?? 0).toFixed(0)), " ms on the server per frame");
    setLive("live");
    next();
  }

  function onCamera(state) {
    if (state === "on" && !experiment.trained) {
      setLive("error", { message: said(experiment.problem), text: "Reading faces live needs the face reader: reload the page once it is served." });
    } else if (state === "on") {
      setLive("waiting", { text: "Connecting to the face reader…" });
      answered = [];
      socket = openFrameSocket(`${base}/frames`, {
        onOpen: () => next(),
        onAnswer,
        onProblem: (message, final) => {
          if (!message) return setLive("waiting", { text: "Waiting for the first answer…" });
          clearLive();
          setLive("error", { message, text: final ? "Reading faces stopped: stop and start the camera to try again." : "Reconnecting…" });
        },
      });
      socket.configure({ threshold });
    } else {
      clearTimeout(timer);
      socket?.close();
      socket = null;
      clearLive();
      setLive("off", { text: "Start the camera and look into it: smile, frown, look surprised…" });
    }
  }
  camera.onState(onCamera);
  onCamera(camera.state);

  // --- a photo, sent once ---
  let photoAsked = 0;
  let lastPhoto = null;

  async function readPhoto(blob) {
    lastPhoto = blob;
    const mine = ++photoAsked;
    photo.dataset.state = "busy";
    const bitmap = await uprightBitmap(blob);
    const url = `${base}/faces?threshold=${threshold}`;
    let answer = null;
    let problem = "";
    try {
      try {
        answer = await postImage(url, blob);
      } catch (e) {
        if (e.status !== 413 || !bitmap) throw e;
        answer = await postImage(url, await shrink(bitmap)); // too big for the server: send it smaller
      }
    } catch (e) {
      problem = said(e.message);
    }
    if (mine !== photoAsked) return bitmap?.close();
    const faces = answer?.faces ?? [];
    photo.dataset.state = answer ? "answered" : "error";
    photoError.textContent = problem;
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

  slider.addEventListener("input", () => (shownThreshold.textContent = percent(Number(slider.value), 0)));
  slider.addEventListener("change", () => {
    threshold = Number(slider.value);
    socket?.configure({ threshold });
    if (lastPhoto) readPhoto(lastPhoto);
  });
}
