// A camera panel whose frames go to a camera experiment's WebSocket one at a time (the next only once the last
// is answered), with the panel's states, the frame rate and the server's time per frame: what the detection
// and faces pages share.
//
//   const live = createLiveFrames(panel, {
//     url: "/api/experiments/x/frames", facing: "user", trained, problem, said,  // said: a server message in words
//     words: { who: "the detector", needs: "Live detection needs the detector", stopped: "Live detection stopped",
//              idle: "Start the camera and …" },
//     onAnswer: (answer, place) => ...,  // draw it; place maps the frame's pixels onto live.overlay (or is null)
//     onClear: () => ...,                // hide what the last answer showed
//   });
//   live.configure({ threshold: 0.5 });  // sent now, and again on each new connection
//
// The panel's data-state: "off", "waiting", "live" or "error".
import { createCamera, fitOverlay } from "./camera.js";
import { openFrameSocket } from "./frame-socket.js";
import { h } from "../dom.js";

const MIN_FRAME_MS = 1000 / 30; // the server closes on more than 60 frames a second
const PAUSE_AFTER_ERROR_MS = 2000;
const FPS_WINDOW_MS = 2000;

export function createLiveFrames(panel, { url, facing, trained, problem, said, words, onAnswer, onClear }) {
  const cameraElement = h("div");
  const overlay = h("canvas", { class: "overlay", "data-testid": "overlay", "aria-hidden": "true" });
  const stats = h("p", { class: "detect-stats muted", "data-testid": "stats" });
  const error = h("p", { class: "demo-error", role: "alert", "data-testid": "live-error", hidden: true });
  panel.append(cameraElement, stats, error);
  const camera = createCamera(cameraElement, { facing });
  camera.stage.append(overlay);
  let socket = null;
  let settings = {};
  let capturing = false;
  let lastSent = 0;
  let answered = []; // when recent answers came, for the frame rate
  let timer = null;

  function setState(state, { message = "", text = "" } = {}) {
    panel.dataset.state = state;
    error.textContent = message;
    error.hidden = !message;
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

  function clear() {
    overlay.getContext("2d").clearRect(0, 0, overlay.width, overlay.height);
    onClear();
  }

  function answer(what, reply) {
    if (what === "settings") {
      if (reply.error) setState(panel.dataset.state, { message: reply.error });
      return;
    }
    if (reply.error) {
      clear();
      setState("error", { message: said(reply.error), text: "The server could not look at the last frame." });
      return next(PAUSE_AFTER_ERROR_MS);
    }
    const now = performance.now();
    answered = [...answered.filter((t) => now - t < FPS_WINDOW_MS), now];
    const fps = answered.length > 1 ? ((answered.length - 1) / ((now - answered[0]) / 1000)).toFixed(1) : "–";
    // The overlay covers the video's box (object-fit: contain); a selfie view is mirrored, and place puts a
    // box where the person sees the thing, its words unmirrored.
    onAnswer(reply, fitOverlay(overlay, camera, [reply.width, reply.height]));
    stats.replaceChildren(h("span", { "data-testid": "fps" }, fps), " frames per second · ",
      h("span", { "data-testid": "server-ms" }, Number(reply.milliseconds ?? 0).toFixed(0)), " ms on the server per frame");
    setState("live");
    next();
  }

  function onCamera(state) {
    if (state === "on" && !trained) {
      setState("error", { message: said(problem), text: `${words.needs}: reload the page once it is served.` });
    } else if (state === "on") {
      setState("waiting", { text: `Connecting to ${words.who}…` });
      answered = [];
      socket = openFrameSocket(url, {
        onOpen: () => next(),
        onAnswer: answer,
        onProblem: (message, final) => {
          if (!message) return setState("waiting", { text: "Waiting for the first answer…" });
          clear();
          setState("error", { message, text: final ? `${words.stopped}: stop and start the camera to try again.` : "Reconnecting…" });
        },
      });
      socket.configure(settings);
    } else {
      clearTimeout(timer);
      socket?.close();
      socket = null;
      clear();
      setState("off", { text: words.idle });
    }
  }
  camera.onState(onCamera);
  onCamera(camera.state);

  return {
    camera,
    overlay,
    configure(values) {
      settings = { ...settings, ...values };
      socket?.configure(settings);
    },
  };
}
