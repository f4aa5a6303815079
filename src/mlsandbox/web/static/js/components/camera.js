// A camera: a live view with Start, Stop and Switch buttons, JPEG snapshots, and errors explained in
// words a person can act on.
//
//   const camera = createCamera(element, { facing: "user" });  // "user": the selfie camera; "environment": the back one
//   camera.onState((state) => ...);  // "off", "starting", "on" or "error", also in element's data-state
//   const blob = await camera.snapshot();  // what the camera sees as a JPEG, at most 640 px long; null when off
//   camera.stage;  // the element around the video, for drawing over it
//   const place = fitOverlay(canvas, camera, [width, height]);  // a snapshot's pixels -> the canvas's, over the video
//
// The selfie view is mirrored like a mirror (camera.mirrored); snapshots are not, so a model sees the
// real scene.

import { h } from "../dom.js";

const LONG_SIDE = 640;
const QUALITY = 0.85;

function advice(error) {
  const address = `http://localhost${location.port ? `:${location.port}` : ""}${location.pathname}`;
  switch (error.name) {
    case "Insecure":
      return `Browsers only give the camera to pages opened securely. Open this page as ${address} on the computer ` +
        "running the server, or serve it over HTTPS.";
    case "NotAllowedError":
    case "SecurityError":
      return "The camera is blocked for this page. To allow it, click the camera or padlock icon beside the " +
        "address, set Camera to Allow in the site settings, then press Start camera again.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "No camera was found. Connect or switch on a camera, then press Start camera again.";
    case "NotReadableError":
    case "AbortError":
      return "The camera is busy: another program or tab is using it (a video call, perhaps). Close that, " +
        "then press Start camera again.";
    case "Ended":
      return "The camera stopped (was it unplugged or taken by another program?). Press Start camera to try again.";
    default:
      return `The camera could not start (${error.message || error.name}). Press Start camera to try again.`;
  }
}

// Sizes a canvas that covers the camera's stage to its device pixels, and returns where a point of a snapshot
// (width x height pixels) falls on it, as the person sees the video (object-fit: contain, mirrored for a selfie
// camera); null while the video has no size.
export function fitOverlay(canvas, camera, [frameWidth, frameHeight]) {
  const ratio = devicePixelRatio;
  const [width, height] = [canvas.clientWidth, canvas.clientHeight];
  Object.assign(canvas, { width: Math.round(width * ratio), height: Math.round(height * ratio) });
  const { videoWidth, videoHeight } = camera.video;
  if (!videoWidth || !width) return null;
  const fit = Math.min(width / videoWidth, height / videoHeight);
  const [left, top] = [(width - videoWidth * fit) / 2, (height - videoHeight * fit) / 2];
  const [sx, sy] = [(videoWidth * fit) / frameWidth, (videoHeight * fit) / frameHeight];
  const flip = (x) => (camera.mirrored ? width - x : x);
  return ([x, y]) => [flip(left + x * sx) * ratio, (top + y * sy) * ratio];
}

export function createCamera(root, { facing = "environment" } = {}) {
  const video = h("video", { playsinline: true, muted: true, autoplay: true, "data-testid": "camera-video" });
  video.muted = true;
  const placeholder = h("p", { class: "camera-off" }, "The camera is off.");
  const stage = h("div", { class: "camera-stage" }, video, placeholder);
  const startButton = h("button", { type: "button", class: "primary", "data-testid": "camera-start" }, "Start camera");
  const stopButton = h("button", { type: "button", "data-testid": "camera-stop" }, "Stop camera");
  const switchButton = h("button", { type: "button", "data-testid": "camera-switch", hidden: true }, "Switch camera");
  const toolbar = h("div", { class: "camera-buttons" }, startButton, stopButton, switchButton);
  const problem = h("p", { class: "camera-error", role: "alert", "data-testid": "camera-error", hidden: true });
  root.classList.add("camera");
  root.append(stage, toolbar, problem);

  const listeners = [];
  const frame = document.createElement("canvas");
  let stream = null;
  let deviceId = null; // the camera in use, once known
  let cameras = [];
  let mirrored = false;
  let state = "off";
  let attempt = 0; // a Stop, or a newer Start, makes an older Start's camera unwanted

  function set(next, message = "") {
    state = next;
    root.dataset.state = next;
    problem.textContent = message;
    problem.hidden = !message;
    placeholder.hidden = next === "on";
    placeholder.textContent = next === "starting" ? "Starting the camera… allow it if the browser asks." : "The camera is off.";
    video.hidden = next !== "on";
    video.classList.toggle("mirrored", next === "on" && mirrored);
    const focused = document.activeElement;
    startButton.hidden = next === "on" || next === "starting";
    stopButton.hidden = !startButton.hidden;
    switchButton.hidden = next !== "on" || cameras.length < 2;
    if (focused?.hidden) (startButton.hidden ? stopButton : startButton).focus();
    listeners.forEach((listener) => listener(next));
  }

  function release() {
    stream?.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
  }

  async function start() {
    if (state === "on" || state === "starting") return;
    if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
      set("error", advice({ name: "Insecure" }));
      return;
    }
    set("starting");
    const mine = ++attempt;
    const wanted = deviceId ? { deviceId: { exact: deviceId } } : { facingMode: { ideal: facing } };
    try {
      const got = await navigator.mediaDevices.getUserMedia({
        audio: false, video: { ...wanted, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
      if (mine !== attempt) {
        got.getTracks().forEach((track) => track.stop());
        return;
      }
      stream = got;
      const track = stream.getVideoTracks()[0];
      track.addEventListener("ended", () => {
        if (stream?.getVideoTracks()[0] !== track) return;
        release();
        set("error", advice({ name: "Ended" }));
      });
      const settings = track.getSettings();
      deviceId = settings.deviceId ?? null;
      mirrored = (settings.facingMode || facing) === "user";
      video.srcObject = stream;
      await video.play();
      cameras = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput");
      if (mine === attempt) set("on");
    } catch (error) {
      if (mine !== attempt) return;
      release();
      if (deviceId && error.name === "OverconstrainedError") deviceId = null; // that camera is gone
      set("error", advice(error));
    }
  }

  function stop() {
    attempt++;
    release();
    set("off");
  }

  async function next() {
    const refocus = document.activeElement === switchButton;
    const i = cameras.findIndex((c) => c.deviceId === deviceId);
    deviceId = cameras[(i + 1) % cameras.length].deviceId;
    stop();
    await start();
    if (refocus && !switchButton.hidden) switchButton.focus();
  }

  function snapshot() {
    if (state !== "on" || !video.videoWidth) return Promise.resolve(null);
    const scale = Math.min(1, LONG_SIDE / Math.max(video.videoWidth, video.videoHeight));
    frame.width = Math.round(video.videoWidth * scale);
    frame.height = Math.round(video.videoHeight * scale);
    frame.getContext("2d").drawImage(video, 0, 0, frame.width, frame.height);
    return new Promise((resolve) => frame.toBlob(resolve, "image/jpeg", QUALITY));
  }

  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", stop);
  switchButton.addEventListener("click", next);
  set("off");

  return {
    video, stage, toolbar, start, stop, snapshot,
    onState: (listener) => listeners.push(listener),
    get state() { return state; },
    get mirrored() { return mirrored; },
  };
}
