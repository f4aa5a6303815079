// The "detect" demo: the camera with the objects the detector finds drawn over it live, and a photo to
// send instead for people without a camera. A frame goes to the server only once the previous one is
// answered. data-state: the live panel "off", "waiting", "live" or "error"; the photo panel "empty",
// "busy", "answered" or "error".
import { postImage } from "../api.js";
import { colourOf, drawBoxes } from "../components/boxes.js";
import { createCamera, fitOverlay } from "../components/camera.js";
import { openFrameSocket } from "../components/frame-socket.js";
import { drawPhoto, shrink, uprightBitmap } from "../components/photo-canvas.js";
import { createPhotoInput } from "../components/photo-input.js";
import { h, percent } from "../dom.js";

const MIN_FRAME_MS = 1000 / 30; // the server closes on more than 60 frames a second
const PAUSE_AFTER_ERROR_MS = 2000;
const FPS_WINDOW_MS = 2000;

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

  const slider = h("input", { id: "threshold", type: "range", min: "0.05", max: "1", step: "0.05", value: threshold,
                              "data-testid": "threshold" });
  const shownThreshold = h("output", { for: "threshold", "data-testid": "threshold-value" }, percent(threshold, 0));
  const settings = h("div", { class: "detect-settings" },
    h("label", { for: "threshold" }, "Lowest score shown ", shownThreshold), slider,
    h("span", { class: "muted" }, "lower: more boxes, more mistakes"));

  const cameraElement = h("div");
  const overlay = h("canvas", { class: "overlay", "data-testid": "overlay", "aria-hidden": "true" });
  const stats = h("p", { class: "detect-stats muted", "data-testid": "stats" });
  const liveFound = foundList("live-detections");
  const liveError = h("p", { class: "demo-error", role: "alert", "data-testid": "live-error", hidden: true });
  const live = h("section", { class: "panel detect-live", "data-testid": "detect-live", "data-state": "off" },
    h("h3", {}, "Live from your camera"), cameraElement, stats, liveFound, liveError);

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
  liveFound.hidden = true;

  // --- live: frames from the camera over a WebSocket ---
  const camera = createCamera(cameraElement, { facing: "environment" });
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

  function clearOverlay() {
    overlay.getContext("2d").clearRect(0, 0, overlay.width, overlay.height);
  }

  // Boxes in the frame's pixels onto the overlay, which covers the video's box (video object-fit: contain).
  function drawLive(answer) {
    const place = fitOverlay(overlay, camera, [answer.width, answer.height]);
    if (!place) return;
    drawBoxes(overlay.getContext("2d"), answer.detections, ([x1, y1, x2, y2]) => [...place([x1, y1]), ...place([x2, y2])],
      { scale: devicePixelRatio });
  }

  function onAnswer(what, answer) {
    if (what === "settings") {
      if (answer.error) setLive(live.dataset.state, { message: answer.error });
      return;
    }
    if (answer.error) {
      clearOverlay();
      liveFound.hidden = true;
      setLive("error", { message: said(answer.error), text: "The server could not look at the last frame." });
      return next(PAUSE_AFTER_ERROR_MS);
    }
    const now = performance.now();
    answered = [...answered.filter((t) => now - t < FPS_WINDOW_MS), now];
    const seconds = (now - answered[0]) / 1000;
    const fps = answered.length > 1 ? ((answered.length - 1) / seconds).toFixed(1) : "–";
    drawLive(answer);
    liveFound.show(answer.detections, threshold);
    liveFound.hidden = false;
    stats.replaceChildren(h("span", { "data-testid": "fps" }, fps), " frames per second · ",
      h("span", { "data-testid": "server-ms" }, answer.milliseconds.toFixed(0)), " ms on the server per frame");
    setLive("live");
    next();
  }

  function onCamera(state) {
    if (state === "on" && !experiment.trained) {
      setLive("error", { message: said(experiment.problem), text: "Live detection needs the detector: reload the page once it is served." });
    } else if (state === "on") {
      setLive("waiting", { text: "Connecting to the detector…" });
      answered = [];
      socket = openFrameSocket(`${base}/frames`, {
        onOpen: () => next(),
        onAnswer,
        onProblem: (message, final) => {
          if (!message) return setLive("waiting", { text: "Waiting for the first answer…" });
          clearOverlay();
          liveFound.hidden = true;
          setLive("error", { message, text: final ? "Live detection stopped: stop and start the camera to try again." : "Reconnecting…" });
        },
      });
      socket.configure({ threshold });
    } else {
      clearTimeout(timer);
      socket?.close();
      socket = null;
      clearOverlay();
      liveFound.hidden = true;
      setLive("off", { text: "Start the camera and point it at people, cups, chairs, plants…" });
    }
  }
  camera.onState(onCamera);
  onCamera(camera.state);

  // --- a photo, sent once ---
  let photoAsked = 0;
  let lastPhoto = null;

  async function detectPhoto(blob) {
    lastPhoto = blob;
    const mine = ++photoAsked;
    photo.dataset.state = "busy";
    const bitmap = await uprightBitmap(blob);
    const url = `${base}/detect?threshold=${threshold}`;
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
    photo.dataset.state = answer ? "answered" : "error";
    photoError.textContent = problem;
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

  slider.addEventListener("input", () => (shownThreshold.textContent = percent(Number(slider.value), 0)));
  slider.addEventListener("change", () => {
    threshold = Number(slider.value);
    socket?.configure({ threshold });
    if (lastPhoto) detectPhoto(lastPhoto);
  });
}
