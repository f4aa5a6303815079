// The "game" demo: rock, paper, scissors against the computer. "Rock… Paper… Scissors… Shoot!", and on
// "Shoot!" a hand classifier of the family reads the person's move from the camera (or a model taught the
// person's own hand on this page, which the page holds and sends with each snapshot: the server keeps none).
// The computer plays at random or predicts the person with a Markov chain (components/rps-strategy.js). A
// model that reads the hand's landmarks also says where the hand is: its skeleton is drawn over the camera
// and over the snapshot until the next round.
//
// data-state of the game ([data-testid=game-demo]): "idle", "counting", "asking", "answered", "unclear"
// (the model was not sure enough to score) or "error"; of the teach panel ([data-testid=teach]): "empty",
// "capturing", "ready" (every pose has frames enough), "teaching", "taught" or "error". The camera stage
// has data-started: performance.now() when the camera last came on.
import { postImage, postJSON } from "../api.js";
import { createCamera, fitOverlay } from "../components/camera.js";
import { drawSkeleton } from "../components/skeleton.js";
import { MOVES, computerMove, outcome, predictNext, predictability, reason } from "../components/rps-strategy.js";
import { appendTo, count, h, percent } from "../dom.js";

const WORDS = ["Rock…", "Paper…", "Scissors…", "Shoot!"];
const WORD_MS = 600;
const SURE = 0.6; // a move read with less than this is not scored
const UNCLEAR = "I can't see your hand clearly — try again";
const NO_HAND = "I can't see a hand — hold it up inside the square and try again";
const TAUGHT = "taught"; // the chooser's value for the taught model

const FRAMES_PER_SHOW = 20; // "Show rock" takes this many frames…
const FRAME_MS = 100; // …this far apart
const FRAME_SIDE = 224; // each the camera's centred square, as a JPEG this many pixels wide
const FRAME_QUALITY = 0.85;

const STRATEGIES = {
  random: ["Random", "The computer picks each move at random: in the long run nobody beats it, and it beats nobody."],
  predict: ["Predict me", "The computer remembers which move you played after each of your moves, and plays what " +
    "beats the move you are likeliest to play next."],
};

const shortTitle = (member) => member.title.replace(/^[^:]*:\s*/, "");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const api = (id) => `/api/experiments/${encodeURIComponent(id)}`;
const dataUrl = (blob) => new Promise((resolve, reject) => {
  const reader = new FileReader();
  reader.onload = () => resolve(reader.result);
  reader.onerror = () => reject(reader.error);
  reader.readAsDataURL(blob);
});

// A button that cannot be pressed now. One busy with its own work keeps keyboard focus (aria-disabled);
// one with nothing to do (no model, no camera) is disabled outright.
function block(button, { off = false, busy = false }) {
  button.disabled = off;
  if (busy && !off) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
}
const blocked = (button) => button.disabled || button.getAttribute("aria-disabled") === "true";

export function mount(root, { experiment, members }) {
  const trained = members.filter((m) => m.trained);
  const teachables = members.filter((m) => m.details?.teach);
  const limits = teachables[0]?.details.teach ?? { min_frames_per_pose: 5, max_frames: 150, max_frame_bytes: 200_000 };

  // --- the camera, with the square the models read marked on it ---
  const cameraElement = h("div");
  const cameraNote = h("p", { class: "game-note muted", "data-testid": "game-camera-note" });
  const cameraPanel = h("section", { class: "panel game-camera", "aria-labelledby": "game-camera-heading" },
    h("h3", { id: "game-camera-heading" }, "Your hand"), cameraElement, cameraNote);
  const camera = createCamera(cameraElement, { facing: "user" });
  const square = h("div", { class: "game-square", "aria-hidden": "true", hidden: true });
  const countdown = h("p", { class: "game-countdown", role: "status", "data-testid": "game-countdown" });
  const skeleton = h("canvas", { class: "overlay", "data-testid": "game-skeleton", "aria-hidden": "true" });
  camera.stage.append(square, skeleton, countdown);
  let shown = null; // the hand last read ({ points, size, bones }), drawn over the camera until the next round

  function placeSquare() {
    const { videoWidth: vw, videoHeight: vh, clientWidth: cw, clientHeight: ch } = camera.video;
    square.hidden = camera.state !== "on" || !vw || !cw;
    if (square.hidden) return;
    const side = Math.min(vw, vh) * Math.min(cw / vw, ch / vh); // the video is drawn with object-fit: contain
    Object.assign(square.style, { width: `${side}px`, height: `${side}px`, left: `${(cw - side) / 2}px`,
                                  top: `${(ch - side) / 2}px` });
  }
  // The hand's points, in the snapshot's pixels, onto the overlay over the video (object-fit: contain).
  function placeSkeleton() {
    skeleton.dataset.points = shown ? String(shown.points.length) : "0";
    const place = fitOverlay(skeleton, camera, shown?.size ?? [1, 1]); // also clears it
    if (shown && place) drawSkeleton(skeleton.getContext("2d"), shown.points, shown.bones, place, { scale: devicePixelRatio });
  }

  function showSkeleton(hand, bones) {
    shown = hand?.seen && bones ? { points: hand.points, size: hand.size, bones } : null;
    placeSkeleton();
  }

  const placeOverlays = () => { placeSquare(); placeSkeleton(); };
  new ResizeObserver(placeOverlays).observe(camera.video);
  camera.video.addEventListener("resize", placeOverlays);

  // --- choosing the model and the computer's strategy ---
  const modelSelect = h("select", { id: "game-model", "data-testid": "game-model" },
    members.map((m) => h("option", { value: m.id, disabled: !m.trained },
      m.trained ? shortTitle(m) : `${shortTitle(m)} (not available)`)));
  if (trained.length) modelSelect.value = (experiment.trained ? experiment : trained[0]).id;
  else Object.assign(modelSelect, { selectedIndex: 0, disabled: true }); // nothing to choose: show the first
  const taughtOption = h("option", { value: TAUGHT }, "Your hand (taught)");
  const strategySelect = h("select", { id: "game-strategy", "data-testid": "game-strategy" },
    Object.entries(STRATEGIES).map(([value, [name]]) => h("option", { value }, name)));
  const strategyNote = h("p", { class: "game-note muted", "data-testid": "game-strategy-note" });
  const unavailable = members.filter((m) => !m.trained);
  const problems = unavailable.length > 0 && h("div", { class: "demo-error game-problem", "data-testid": "game-problem" },
    trained.length ? null : h("p", {}, "No model is being served, so nothing can read your hand yet."),
    h("ul", {}, unavailable.map((m) => h("li", {}, h("strong", {}, `${shortTitle(m)}: `), m.problem || "not being served."))));

  // --- the round: countdown, moves, result, score ---
  const playButton = h("button", { type: "button", class: "primary game-play-button", "data-testid": "game-play" }, "Play");
  const newGameButton = h("button", { type: "button", "data-testid": "game-reset", hidden: true }, "New game");
  const playNote = h("p", { class: "game-note muted", "data-testid": "game-play-note" });
  const side = (who, testid) => {
    const move = h("strong", { class: "game-move" });
    const detail = h("span", { class: "game-detail" });
    const element = h("div", { class: "game-side", "data-testid": testid }, h("span", { class: "says" }, who), move, detail);
    return { element, move, detail };
  };
  const you = side("You", "game-you");
  const computer = side("Computer", "game-computer");
  const seen = h("canvas", { class: "game-seen", width: 96, height: 96, "data-testid": "game-seen", role: "img",
                             "aria-label": "The square of your snapshot the model read" });
  const result = h("p", { class: "game-result", "data-testid": "game-result" });
  const board = h("div", { class: "game-board", hidden: true }, h("div", { class: "game-sides" }, you.element, computer.element),
    h("div", { class: "game-outcome" }, seen, result));
  const error = h("p", { class: "demo-error", role: "alert", "data-testid": "game-error", hidden: true });
  const score = h("p", { class: "game-score", "data-testid": "game-score" });
  const predictable = h("p", { class: "game-predictability", "data-testid": "game-predictability" });
  // Play sits under the video, so that on a phone the countdown over the video and the button are in view
  // together; the round's result comes next, then the choices.
  camera.toolbar.append(playButton);
  const playPanel = h("section", { class: "panel game-play", "aria-labelledby": "game-play-heading" },
    h("h3", { id: "game-play-heading" }, "Rock, paper, scissors"), playNote,
    h("div", { class: "game-round", "aria-live": "polite" }, board, error),
    h("div", { class: "game-tally" }, score, newGameButton), predictable,
    h("div", { class: "game-settings" },
      h("div", { class: "game-field" }, h("label", { for: "game-model" }, "Model reading your hand"), modelSelect),
      h("div", { class: "game-field" }, h("label", { for: "game-strategy" }, "The computer plays"), strategySelect)),
    strategyNote);

  // --- teaching it the person's hand ---
  const teach = createTeach({ camera, limits, base: teachable, onTaught, onForget });

  const demo = h("div", { class: "game-demo", "data-testid": "game-demo", "data-state": "idle" },
    cameraPanel, playPanel, teach.element);
  appendTo(root, problems, demo);

  let history = []; // the person's moves read clearly, oldest first
  let tally = { win: 0, lose: 0, draw: 0 };
  let playing = false;

  // The network chosen (a taught model's own network), or null when none is served.
  function chosenNetwork() {
    if (modelSelect.value === TAUGHT) return teach.taught?.base ?? null;
    return trained.find((m) => m.id === modelSelect.value) ?? null;
  }

  // The network teach mode fits a head on: the chosen one if it can be taught, else the family's first served
  // one that can (details.teach: the server says which).
  function teachable() {
    const chosen = chosenNetwork();
    return chosen?.details?.teach ? chosen : teachables.find((m) => m.trained) ?? null;
  }

  function refresh() {
    const cameraOn = camera.state === "on";
    block(playButton, { off: !chosenNetwork() || !cameraOn, busy: playing });
    playNote.textContent = !trained.length ? "Play needs a model: none is being served (see above)."
      : !cameraOn ? "Start the camera, then press Play."
      : playing ? "Show your move on “Shoot!”." : "Press Play under the camera, and show your move on “Shoot!”.";
    strategyNote.textContent = STRATEGIES[strategySelect.value][1];
    cameraNote.textContent = "Hold your hand inside the square, a forearm's length from the camera: " +
      (chosenNetwork()?.details?.landmarks ? "this model looks for your hand in the whole picture, and draws what it reads."
        : "the model reads only the square.");
    newGameButton.hidden = history.length === 0;
    const rounds = tally.win + tally.lose + tally.draw;
    Object.assign(score.dataset, { you: tally.win, computer: tally.lose, draws: tally.draw, rounds });
    score.replaceChildren(h("span", { class: "says" }, "Score"),
      h("span", {}, "You ", h("strong", {}, String(tally.win))),
      h("span", {}, "Computer ", h("strong", {}, String(tally.lose))),
      h("span", {}, "Draws ", h("strong", {}, String(tally.draw))));
    const { correct, total } = predictability(history);
    Object.assign(predictable.dataset, { correct, total });
    predictable.replaceChildren(h("strong", {}, "How predictable you are: "), total
      ? `the computer's Markov chain guessed ${correct} of your ${total} move${total === 1 ? "" : "s"} after the first ` +
        `(${percent(correct / total, 0)}; chance alone guesses about a third).`
      : "after your first move, the computer counts how often it could have guessed your next one from the one before.");
    teach.refresh();
  }

  function setState(state, message = "") {
    demo.dataset.state = state;
    error.textContent = message;
    error.hidden = !message;
    if (message) board.hidden = true;
  }

  // The snapshot's centred square on the small canvas beside the result, with the hand's skeleton if one was read.
  async function showSeen(blob, hand, bones) {
    const bitmap = await createImageBitmap(blob);
    const side = Math.min(bitmap.width, bitmap.height);
    const [left, top] = [(bitmap.width - side) / 2, (bitmap.height - side) / 2];
    const ctx = seen.getContext("2d");
    ctx.drawImage(bitmap, left, top, side, side, 0, 0, seen.width, seen.height);
    bitmap.close();
    if (hand?.seen && bones) {
      const k = seen.width / side;
      drawSkeleton(ctx, hand.points, bones, ([x, y]) => [(x - left) * k, (y - top) * k], { scale: 0.5 });
    }
    seen.classList.toggle("mirrored", camera.mirrored); // as the person sees themselves
  }

  function showRound(answer, planned, expected) {
    const [top] = answer.ranked;
    board.hidden = false;
    if (!top || top.probability < SURE) {
      you.element.dataset.move = "";
      you.move.textContent = "?";
      you.detail.textContent = top ? `best guess ${top.label}, only ${percent(top.probability, 0)} sure` : "no hand seen";
      computer.element.dataset.move = "";
      computer.move.textContent = "–";
      computer.detail.textContent = "no round";
      result.dataset.result = "unclear";
      result.textContent = top ? UNCLEAR : NO_HAND;
      return setState("unclear");
    }
    const move = answer.label;
    const verdict = outcome(move, planned);
    history.push(move);
    tally[verdict] += 1;
    you.element.dataset.move = move;
    you.move.textContent = move;
    you.detail.textContent = `${percent(top.probability, 0)} sure · ${Math.round(answer.milliseconds)} ms`;
    computer.element.dataset.move = planned;
    computer.move.textContent = planned;
    computer.detail.textContent = expected ? `it expected ${expected}` : "at random";
    result.dataset.result = verdict;
    result.textContent = verdict === "draw" ? `Draw: you both played ${move}.`
      : `${verdict === "win" ? "You win" : "The computer wins"}: ${reason(move, planned)}.`;
    setState("answered");
  }

  async function play() {
    const network = chosenNetwork();
    if (playing || !network || camera.state !== "on") return;
    playing = true;
    const taught = modelSelect.value === TAUGHT ? teach.taught : null;
    // The computer chooses before it sees the person's move.
    const strategy = strategySelect.value;
    const planned = computerMove(strategy, history);
    const expected = strategy === "predict" && history.length ? predictNext(history).move : null;
    setState("counting");
    board.hidden = true;
    showSkeleton(null);
    refresh();
    try {
      for (const [i, word] of WORDS.entries()) {
        countdown.textContent = word;
        if (i < WORDS.length - 1) await sleep(WORD_MS);
      }
      const blob = await camera.snapshot();
      if (!blob) throw new Error("The camera went off before “Shoot!”: start it and press Play again.");
      setState("asking");
      const answer = taught
        ? await postJSON(`${api(network.id)}/taught/predict`, { model: taught.model, image: await dataUrl(blob) })
        : await postImage(`${api(network.id)}/predict`, blob);
      const bones = network.details?.bones;
      await showSeen(blob, answer.hand, bones).catch(() => {});
      showSkeleton(answer.hand, bones);
      showRound(answer, planned, expected);
    } catch (e) {
      setState("error", e.message);
    } finally {
      countdown.textContent = "";
      playing = false;
      refresh();
    }
  }

  function onTaught() {
    if (!taughtOption.parentElement) modelSelect.append(taughtOption);
    modelSelect.value = TAUGHT;
    refresh();
  }

  function onForget(base) {
    if (modelSelect.value === TAUGHT) modelSelect.value = base?.id ?? trained[0]?.id ?? "";
    taughtOption.remove();
    refresh();
  }

  playButton.addEventListener("click", () => !blocked(playButton) && play());
  newGameButton.addEventListener("click", () => {
    history = [];
    tally = { win: 0, lose: 0, draw: 0 };
    board.hidden = true;
    setState("idle");
    refresh();
    playButton.focus();
  });
  modelSelect.addEventListener("change", refresh);
  strategySelect.addEventListener("change", refresh);
  camera.onState((state) => {
    if (state === "on") camera.stage.dataset.started = String(performance.now());
    else showSkeleton(null);
    requestAnimationFrame(placeSquare);
    refresh();
  });
  refresh();
}

// The "Teach it your hand" panel: 20 frames of each pose from the camera, sent to the chosen network's
// teach route; the taught model it answers lives in this panel only (a variable: gone on reload or Forget),
// and is downloaded from it as it is. base() is the network to teach; onTaught() and onForget(network) tell
// the game.
function createTeach({ camera, limits, base, onTaught, onForget }) {
  const perPose = Math.floor(limits.max_frames / MOVES.length);
  const frames = Object.fromEntries(MOVES.map((pose) => [pose, []])); // data URLs, newest last
  const grab = h("canvas", { width: FRAME_SIDE, height: FRAME_SIDE });
  let capturing = null; // the pose being filmed
  let teaching = false;
  let taught = null; // { model (as teach answered it), base (the network's info), file (its download's URL) }

  const poses = MOVES.map((pose) => {
    const button = h("button", { type: "button", "data-testid": `teach-show-${pose}` }, `Show ${pose}`);
    const counter = h("span", { class: "teach-count", "data-testid": `teach-count-${pose}`, "data-count": "0" });
    const thumb = h("img", { class: "teach-thumb", alt: `Your latest ${pose} frame`, hidden: true });
    const blank = h("span", { class: "teach-thumb teach-blank", "aria-hidden": "true" }, pose);
    button.addEventListener("click", () => !blocked(button) && capture(pose));
    return { pose, button, counter, thumb, blank, element: h("li", { class: "teach-pose" }, thumb, blank, button, counter) };
  });
  const goButton = h("button", { type: "button", class: "primary", "data-testid": "teach-go" }, "Teach");
  const forgetButton = h("button", { type: "button", "data-testid": "teach-forget", hidden: true }, "Forget");
  const download = h("a", { class: "teach-download", download: "", "data-testid": "teach-download", hidden: true },
    "Download taught model");
  const status = h("p", { class: "teach-status", role: "status", "data-testid": "teach-status" });
  const problem = h("p", { class: "demo-error", role: "alert", "data-testid": "teach-error", hidden: true });
  const network = h("strong");
  const heading = h("h3", { id: "teach-heading", tabindex: "-1" }, "Teach it your hand");
  const element = h("section", { class: "panel game-teach", "aria-labelledby": "teach-heading", "data-testid": "teach",
                                 "data-state": "empty" },
    heading,
    h("p", { class: "game-note" }, "The models learned from rendered hands. Show them yours: press “Show rock” and hold " +
      `rock in the square for about 2 seconds while it takes ${FRAMES_PER_SHOW} frames, then paper, then scissors, and ` +
      "press Teach. A small layer is fitted on top of ", network, "'s features in a second or so."),
    h("ul", { class: "teach-poses" }, poses.map((p) => p.element)),
    h("div", { class: "teach-buttons" }, goButton, forgetButton, download),
    problem, status,
    h("p", { class: "game-note muted teach-privacy", "data-testid": "teach-privacy" }, "Your frames go to the server " +
      "only when you press Teach, and it keeps none of them. The taught model lives in this page only: it goes to " +
      "the server with each move you play and is not kept there either. Reloading the page or pressing Forget " +
      "drops it, and it is saved nowhere unless you download it."));

  function setState(state, message = "") {
    element.dataset.state = state;
    problem.textContent = message;
    problem.hidden = !message;
  }

  function refresh() {
    const cameraOn = camera.state === "on";
    const net = base();
    network.textContent = net ? shortTitle(net) : "the chosen model";
    const enough = MOVES.every((pose) => frames[pose].length >= limits.min_frames_per_pose);
    for (const p of poses) {
      const n = frames[p.pose].length;
      block(p.button, { off: !cameraOn || !net, busy: Boolean(capturing) || teaching });
      p.counter.dataset.count = String(n);
      p.counter.textContent = capturing === p.pose ? `${count(n)} + filming…` : `${count(n)} frame${n === 1 ? "" : "s"}`;
      p.thumb.hidden = n === 0;
      p.blank.hidden = n > 0;
      if (n) p.thumb.src = frames[p.pose].at(-1);
      p.thumb.classList.toggle("mirrored", camera.mirrored); // as the person sees themselves
    }
    block(goButton, { off: !enough || !net, busy: Boolean(capturing) || teaching });
    goButton.textContent = taught ? "Teach again" : "Teach";
    forgetButton.hidden = !taught && !MOVES.some((pose) => frames[pose].length);
    download.hidden = !taught;
    if (!capturing && !teaching && !taught && element.dataset.state !== "error") {
      setState(enough ? "ready" : "empty");
    }
  }

  // The camera's centred square (what the models read) as a JPEG data URL, or null with the camera off.
  function frame() {
    const { videoWidth: width, videoHeight: height } = camera.video;
    if (camera.state !== "on" || !width) return null;
    const side = Math.min(width, height);
    grab.getContext("2d").drawImage(camera.video, (width - side) / 2, (height - side) / 2, side, side, 0, 0, FRAME_SIDE, FRAME_SIDE);
    const url = grab.toDataURL("image/jpeg", FRAME_QUALITY);
    return url.length * 0.75 > limits.max_frame_bytes ? grab.toDataURL("image/jpeg", 0.5) : url;
  }

  async function capture(pose) {
    if (capturing || teaching) return;
    capturing = pose;
    setState("capturing");
    status.textContent = `Filming ${pose}: hold it in the square…`;
    refresh();
    const taken = [];
    for (let i = 0; i < FRAMES_PER_SHOW; i++) {
      if (i) await sleep(FRAME_MS);
      const url = frame();
      if (!url) break;
      taken.push(url);
    }
    frames[pose] = [...frames[pose], ...taken].slice(-perPose); // the newest, within the server's limit
    capturing = null;
    setState(taught ? "taught" : "empty");
    status.textContent = taken.length === FRAMES_PER_SHOW ? `Took ${taken.length} frames of ${pose}.`
      : `The camera went off after ${taken.length} frames of ${pose}.`;
    refresh();
  }

  async function go() {
    const net = base();
    if (!net || capturing || teaching) return;
    teaching = true;
    setState("teaching");
    status.textContent = `Teaching ${shortTitle(net)} your hand…`;
    refresh();
    const body = { frames: MOVES.flatMap((pose) => frames[pose].map((image) => ({ label: pose, image }))) };
    try {
      const answer = await postJSON(`${api(net.id)}/teach`, body);
      const learned = Object.values(answer.frames).reduce((sum, n) => sum + n, 0);
      drop(); // the model taught before this one
      const file = URL.createObjectURL(new Blob([JSON.stringify(answer.model)], { type: "application/json" }));
      taught = { model: answer.model, base: net, file };
      Object.assign(download, { href: file, download: `${net.id}-taught.json` });
      status.textContent = `Learned from ${count(learned)} frames in ${count(Math.round(answer.milliseconds))} ms ` +
        `(training accuracy ${percent(answer.training_accuracy, 0)}). It plays as “Your hand (taught)” and lives ` +
        "in this page until you reload it or press Forget.";
      teaching = false;
      setState("taught");
      onTaught();
    } catch (e) {
      teaching = false;
      status.textContent = taught ? "Your earlier taught model is still in this page." : "";
      setState("error", e.message);
    }
    refresh();
  }

  // The taught model and its download, dropped from the page (the server never kept them).
  function drop() {
    if (taught) URL.revokeObjectURL(taught.file);
    download.removeAttribute("href");
    taught = null;
  }

  function forget() {
    const was = taught?.base;
    drop();
    MOVES.forEach((pose) => (frames[pose] = []));
    setState("empty");
    status.textContent = "Forgotten: the frames and the taught model are gone from this page, and the server kept " +
      "neither.";
    onForget(was);
  }

  goButton.addEventListener("click", () => !blocked(goButton) && go());
  forgetButton.addEventListener("click", () => {
    forget();
    (poses[0].button.disabled ? heading : poses[0].button).focus(); // keyboard focus stays in the panel
  });

  return { element, refresh, get taught() { return taught; } };
}
