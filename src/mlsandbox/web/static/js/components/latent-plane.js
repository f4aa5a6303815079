// A square plane for a two-number latent space, -range..range on each axis (y up): the pointer (mouse, finger,
// pen) or the arrow keys move a point over it, and a listener hears each move. Behind it, faintly, a map of
// the space (a grid of pictures drawn at the centres of its cells); on it, a marker that stays put (where a
// drawing landed).
//
//   const plane = createLatentPlane(element, { range: 3, label: "…", onMove: (point) => ... });
//   plane.moveTo([x, y]);                     // the point (as if moved there; listeners hear it)
//   await plane.setMap(dataUrls, columns);    // columns x columns pictures, row by row from the top left; [] clears
//   plane.setMarker([x, y], "your 3");        // or setMarker(null)
//   plane.countFrame();                       // one more picture drawn for the point: data-frames counts them
//
// Arrow keys move the point by a tenth (with Shift, by a half), Home brings it back to the centre.

import { h } from "../dom.js";

const INK = "#2f6fdb";
const MARK = "#b3261e";
const GRID = "#dde1e8";
const AXIS = "#9aa3b2";
const MAP_ALPHA = 0.32;

const fixed = (v) => (Math.abs(v) < 0.005 ? 0 : v).toFixed(2).replace("-", "−");
export const pointText = ([x, y]) => `(${fixed(x)}, ${fixed(y)})`;

export function createLatentPlane(root, { range = 3, label = "Latent plane", hint = "", onMove = () => {} } = {}) {
  const hintId = `plane-hint-${Math.random().toString(36).slice(2, 8)}`;
  const canvas = h("canvas", {
    class: "plane-canvas", tabindex: "0", role: "application", "aria-roledescription": "plane",
    "aria-label": label, "aria-describedby": hintId, "data-testid": "plane-canvas",
  });
  const spoken = h("p", { class: "visually-hidden", "aria-live": "polite" });
  root.classList.add("latent-plane");
  root.dataset.frames = "0";
  root.append(canvas, h("p", { id: hintId, class: "hint plane-hint" }, hint), spoken);

  const ctx = canvas.getContext("2d");
  let point = [0, 0];
  let marker = null; // { point, text }
  let map = null; // a canvas with the map's pictures, or null

  const clamp = (v) => Math.max(-range, Math.min(range, v));
  const toPixel = ([x, y]) => [((x + range) / (2 * range)) * canvas.width, ((range - y) / (2 * range)) * canvas.height];

  function at(event) {
    const box = canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * 2 * range - range;
    const y = range - ((event.clientY - box.top) / box.height) * 2 * range;
    return [clamp(x), clamp(y)];
  }

  function draw() {
    const { width, height } = canvas;
    const unit = width / (2 * range);
    const px = devicePixelRatio || 1;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, width, height);
    if (map) {
      ctx.globalAlpha = MAP_ALPHA;
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(map, 0, 0, width, height);
      ctx.globalAlpha = 1;
    }
    ctx.lineWidth = px;
    for (let v = -range; v <= range; v += 1) { // a line at each whole number, the axes darker
      ctx.strokeStyle = v === 0 ? AXIS : GRID;
      const p = (v + range) * unit;
      ctx.beginPath();
      ctx.moveTo(p, 0);
      ctx.lineTo(p, height);
      ctx.moveTo(0, p);
      ctx.lineTo(width, p);
      ctx.stroke();
    }
    ctx.fillStyle = "#5d6678";
    ctx.font = `${11 * px}px system-ui, sans-serif`;
    ctx.textBaseline = "bottom";
    ctx.fillText(`−${range}`, 3 * px, height / 2 - 2 * px);
    ctx.textAlign = "right";
    ctx.fillText(String(range), width - 3 * px, height / 2 - 2 * px);
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    ctx.fillText(String(range), width / 2 + 3 * px, 3 * px);
    ctx.textBaseline = "bottom";
    ctx.fillText(`−${range}`, width / 2 + 3 * px, height - 2 * px);

    if (marker) {
      const [mx, my] = toPixel(marker.point.map(clamp));
      ctx.strokeStyle = MARK;
      ctx.lineWidth = 3 * px;
      ctx.beginPath();
      ctx.arc(mx, my, 9 * px, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.fillStyle = MARK;
      ctx.font = `600 ${12 * px}px system-ui, sans-serif`;
      ctx.textAlign = mx > width * 0.7 ? "right" : "left";
      ctx.textBaseline = "middle";
      ctx.fillText(marker.text, mx + (mx > width * 0.7 ? -14 : 14) * px, my);
      ctx.textAlign = "left";
    }
    const [cx, cy] = toPixel(point);
    ctx.strokeStyle = INK;
    ctx.lineWidth = 2 * px;
    ctx.beginPath();
    ctx.moveTo(cx - 12 * px, cy);
    ctx.lineTo(cx + 12 * px, cy);
    ctx.moveTo(cx, cy - 12 * px);
    ctx.lineTo(cx, cy + 12 * px);
    ctx.stroke();
    ctx.beginPath();
    ctx.arc(cx, cy, 5 * px, 0, 2 * Math.PI);
    ctx.stroke();
  }

  let frame = 0;
  const schedule = () => { frame ||= requestAnimationFrame(() => { frame = 0; draw(); }); };

  function fit() {
    const side = Math.max(1, Math.round(canvas.clientWidth * devicePixelRatio));
    if (side === canvas.width && side === canvas.height) return;
    canvas.width = canvas.height = side;
    draw();
  }

  function moveTo(next, how = "code") {
    point = next.map(clamp);
    schedule();
    onMove(point, how);
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault(); // no text selection, no scrolling: the finger moves the point
    canvas.setPointerCapture(event.pointerId);
    canvas.focus({ preventScroll: true });
    moveTo(at(event), "pointer");
  });
  canvas.addEventListener("pointermove", (event) => {
    // A mouse moves the point as it hovers; a finger or a pen while it touches.
    if (event.pointerType !== "mouse" && !canvas.hasPointerCapture(event.pointerId)) return;
    moveTo(at(event), "pointer");
  });
  canvas.addEventListener("keydown", (event) => {
    const by = event.shiftKey ? 0.5 : 0.1;
    const moves = { ArrowLeft: [-by, 0], ArrowRight: [by, 0], ArrowUp: [0, by], ArrowDown: [0, -by] };
    let next = null;
    if (moves[event.key]) next = [point[0] + moves[event.key][0], point[1] + moves[event.key][1]];
    else if (event.key === "Home") next = [0, 0];
    if (!next) return;
    event.preventDefault();
    moveTo(next.map((v) => Math.round(v * 100) / 100), "key");
    spoken.textContent = `At ${pointText(point)}`;
  });

  // The map: columns x columns pictures (data URLs), drawn once onto a canvas of their own.
  async function setMap(pictures, columns) {
    if (!pictures?.length) {
      map = null;
      schedule();
      return;
    }
    const images = await Promise.all(pictures.map(async (src) => {
      const image = new Image();
      image.src = src;
      await image.decode();
      return image;
    }));
    const side = images[0].naturalWidth;
    const sheet = document.createElement("canvas");
    sheet.width = sheet.height = side * columns;
    const c = sheet.getContext("2d");
    images.forEach((image, i) => c.drawImage(image, (i % columns) * side, Math.floor(i / columns) * side));
    map = sheet;
    schedule();
  }

  function setMarker(where, text = "") {
    marker = where ? { point: where, text } : null;
    if (where) root.dataset.marker = where.map((v) => v.toFixed(4)).join(",");
    else delete root.dataset.marker;
    schedule();
  }

  function countFrame() {
    root.dataset.frames = String(Number(root.dataset.frames) + 1);
  }

  new ResizeObserver(fit).observe(canvas);
  fit();

  return {
    element: root,
    canvas,
    moveTo,
    setMap,
    setMarker,
    countFrame,
    get point() {
      return point;
    },
  };
}

// The centres of a columns x columns grid over -range..range, row by row from the top left (y falls).
export function gridPoints(range, columns) {
  const cell = (2 * range) / columns;
  const points = [];
  for (let row = 0; row < columns; row++) {
    for (let col = 0; col < columns; col++) points.push([-range + (col + 0.5) * cell, range - (row + 0.5) * cell]);
  }
  return points.map((p) => p.map((v) => Math.round(v * 1e4) / 1e4));
}
