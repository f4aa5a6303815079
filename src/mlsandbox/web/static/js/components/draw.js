// A drawing pad on Pointer Events (mouse, touch and pen alike): black round strokes on white paper.
//
//   const pad = createDrawPad(element);
//   pad.onChange(async (blob) => { ... });  // a 280x280 PNG while drawing, or null once cleared
//   pad.clear(); await pad.toBlob();
//
// With { fitStrokes: n }, the PNG is not the canvas but the strokes redrawn to fill it, with a line
// 1/n of the drawing's longer side wide: however big or small the person drew, scaled down to n
// pixels the lines are one pixel wide, as in datasets rendered from pen strokes (Quick, Draw!).
//
// Instead of drawing (with the keyboard, or with a drawing on paper), a person can upload a picture of a
// drawing: it is shown on the pad and listeners get the file itself, which the server reads like a drawing.
// A stroke on the pad after that starts a new drawing.
//
// Listeners are called at most every INTERVAL_MS and never while the previous call's promise is
// pending; the last change (pointerup, Clear) is always delivered. While a change waits or is being
// handled, the pad's element has data-busy="true".

import { h } from "../dom.js";

const EXPORT_SIDE = 280;
const INTERVAL_MS = 150;
const STROKE_PER_SIDE = 1 / 14;

export function createDrawPad(root, { hint = "Draw here with a mouse, a finger or a pen.", fitStrokes = 0 } = {}) {
  root.classList.add("draw-pad");
  // The canvas is an image to assistive technology, named after what it shows; the hint describes it.
  const canvas = h("canvas", { role: "img", "data-testid": "canvas", "aria-describedby": "draw-hint" });
  const clearButton = h("button", { type: "button", "data-testid": "clear" }, "Clear");
  const fileInput = h("input", { type: "file", accept: "image/*", class: "visually-hidden", "data-testid": "draw-file" });
  root.append(canvas, h("p", { id: "draw-hint", class: "hint" }, hint),
    h("div", { class: "draw-buttons" }, clearButton,
      h("label", { class: "button" }, fileInput, "Upload a drawing")));

  const ctx = canvas.getContext("2d");
  const listeners = [];
  let empty = true;
  let pointer = null; // id of the pointer drawing now
  let last = null; // its previous point, in canvas pixels
  let strokes = []; // every stroke as a list of [x, y] points, in units of the canvas side
  let picture = null; // the file uploaded instead of drawing, while it is shown

  function paper() {
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }

  // Keep the backing store at the displayed size times devicePixelRatio, keeping what is drawn.
  function fit() {
    const side = Math.max(1, Math.round(canvas.clientWidth * devicePixelRatio));
    if (side === canvas.width && side === canvas.height) return;
    const old = document.createElement("canvas");
    old.width = canvas.width;
    old.height = canvas.height;
    old.getContext("2d").drawImage(canvas, 0, 0);
    canvas.width = canvas.height = side;
    paper();
    if (!empty) ctx.drawImage(old, 0, 0, side, side);
  }

  function at(event) {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * (canvas.width / box.width), (event.clientY - box.top) * (canvas.height / box.height)];
  }

  function line([x0, y0], [x1, y1]) {
    const width = canvas.width * STROKE_PER_SIDE;
    ctx.fillStyle = ctx.strokeStyle = "#000";
    ctx.lineWidth = width;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    if (x0 === x1 && y0 === y1) {
      ctx.arc(x0, y0, width / 2, 0, 2 * Math.PI);
      ctx.fill();
    } else {
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
      ctx.stroke();
    }
    empty = false;
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (pointer !== null || event.button !== 0) return;
    event.preventDefault();
    if (picture) clear(false); // drawing over an uploaded picture starts a new drawing
    canvas.setPointerCapture(event.pointerId);
    pointer = event.pointerId;
    last = at(event);
    strokes.push([last.map((v) => v / canvas.width)]);
    line(last, last); // a tap leaves a dot
    changed();
  });

  canvas.addEventListener("pointermove", (event) => {
    if (event.pointerId !== pointer) return;
    const coalesced = event.getCoalescedEvents?.() ?? [];
    for (const e of coalesced.length ? coalesced : [event]) {
      const point = at(e);
      line(last, point);
      last = point;
      strokes.at(-1).push(point.map((v) => v / canvas.width));
    }
    changed();
  });

  function end(event) {
    if (event.pointerId !== pointer) return;
    pointer = last = null;
    changed();
  }
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);

  async function toBlob() {
    const out = document.createElement("canvas");
    out.width = out.height = EXPORT_SIDE;
    const c = out.getContext("2d");
    if (fitStrokes) {
      redraw(c, EXPORT_SIDE, EXPORT_SIDE / fitStrokes);
    } else {
      c.imageSmoothingQuality = "high";
      c.drawImage(canvas, 0, 0, EXPORT_SIDE, EXPORT_SIDE);
    }
    return new Promise((resolve) => out.toBlob(resolve, "image/png"));
  }

  // The strokes, scaled and centred so the drawing (lines included) fills a side x side square.
  function redraw(c, side, width) {
    const points = strokes.flat();
    const [xs, ys] = [points.map((p) => p[0]), points.map((p) => p[1])];
    const [left, top] = [Math.min(...xs), Math.min(...ys)];
    const [w, h] = [Math.max(...xs) - left, Math.max(...ys) - top];
    const scale = (side - width) / Math.max(w, h, 1e-6);
    const [dx, dy] = [(side - w * scale) / 2 - left * scale, (side - h * scale) / 2 - top * scale];
    c.fillStyle = "#fff";
    c.fillRect(0, 0, side, side);
    c.strokeStyle = c.fillStyle = "#000";
    c.lineWidth = width;
    c.lineCap = c.lineJoin = "round";
    for (const stroke of strokes) {
      c.beginPath();
      stroke.forEach(([x, y], i) => (i ? c.lineTo : c.moveTo).call(c, x * scale + dx, y * scale + dy));
      if (stroke.length === 1) c.lineTo(stroke[0][0] * scale + dx + 0.01, stroke[0][1] * scale + dy);
      c.stroke();
    }
  }

  // An uploaded picture on paper, scaled to fit; listeners get the file as it is. A file the browser cannot
  // show is sent all the same: the server says what is wrong with it.
  async function upload(file) {
    clear(false);
    try {
      const bitmap = await createImageBitmap(file);
      const scale = Math.min(canvas.width / bitmap.width, canvas.height / bitmap.height);
      const [width, height] = [bitmap.width * scale, bitmap.height * scale];
      ctx.drawImage(bitmap, (canvas.width - width) / 2, (canvas.height - height) / 2, width, height);
      bitmap.close();
    } catch {
      // not a picture
    }
    picture = file;
    empty = false;
    changed();
  }
  fileInput.addEventListener("change", () => {
    if (fileInput.files[0]) upload(fileInput.files[0]);
    fileInput.value = ""; // the same file again is a new choice
  });

  async function deliver() {
    describe();
    const blob = empty ? null : picture ?? (await toBlob());
    await Promise.all(listeners.map((listener) => listener(blob)));
  }
  const changed = throttle(deliver, INTERVAL_MS, (busy) => (root.dataset.busy = String(busy)));

  function clear(tell = true) {
    paper();
    empty = true;
    strokes = [];
    picture = null;
    if (tell) changed();
  }
  clearButton.addEventListener("click", () => clear());

  function describe() {
    canvas.setAttribute("aria-label", picture ? `Drawing pad, showing the picture you uploaded (${picture.name})`
      : empty ? "Drawing pad, empty" : `Drawing pad, with your drawing of ${strokes.length} stroke${strokes.length === 1 ? "" : "s"}`);
  }

  new ResizeObserver(fit).observe(canvas);
  fit();
  describe();
  root.dataset.busy = "false";

  return {
    canvas,
    onChange: (listener) => listeners.push(listener),
    clear: () => clear(),
    toBlob,
    get empty() {
      return empty;
    },
  };
}

// Run `task` after each request, but one run at a time, at least `interval` ms apart, and once more
// after the last request: requests made while a run is waiting or running fold into the next run.
function throttle(task, interval, onBusy) {
  let pending = false;
  let running = false;
  let started = -Infinity;

  async function pump() {
    running = true;
    while (pending) {
      await new Promise((resolve) => setTimeout(resolve, started + interval - performance.now()));
      pending = false;
      started = performance.now();
      try {
        await task();
      } catch (error) {
        console.error(error);
      }
    }
    running = false;
    onBusy(false);
  }

  return () => {
    pending = true;
    onBusy(true);
    if (!running) pump();
  };
}
