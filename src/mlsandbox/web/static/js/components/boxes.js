// Detected objects drawn on a canvas: a box in the label's own colour, and a tag with the label and score.
//
//   drawBoxes(ctx, detections, (box) => [x1, y1, x2, y2] on the canvas, { scale: devicePixelRatio });

import { percent } from "../dom.js";

const hueOf = (label) => [...label].reduce((hash, c) => (hash * 31 + c.charCodeAt(0)) % 360, 0);

export function colourOf(label) {
  return `hsl(${hueOf(label)} 80% 42%)`;
}

// White or dark text on the label's colour, whichever contrasts more (a yellow tag takes dark text).
export function inkOn(label) {
  const hue = hueOf(label);
  const channel = (n) => {
    const k = (n + hue / 30) % 12;
    const c = 0.42 - 0.8 * 0.42 * Math.max(-1, Math.min(k - 3, 9 - k, 1)); // hsl -> rgb
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(8) + 0.0722 * channel(4);
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.066 ? "#fff" : "#1d2330";
}

export function drawBoxes(ctx, detections, place, { scale = 1 } = {}) {
  const line = 2.5 * scale;
  const font = 14 * scale;
  const pad = 4 * scale;
  ctx.save();
  ctx.lineWidth = line;
  ctx.font = `600 ${font}px system-ui, sans-serif`;
  ctx.textBaseline = "top";
  const tags = []; // [x, y, width, height] of the tags drawn, so that no tag hides another
  for (const { label, score, box } of detections) {
    const [x1, y1, x2, y2] = place(box);
    const [left, top] = [Math.min(x1, x2), Math.min(y1, y2)];
    const colour = colourOf(label);
    ctx.strokeStyle = ctx.fillStyle = colour;
    ctx.strokeRect(left, top, Math.abs(x2 - x1), Math.abs(y2 - y1));
    const text = `${label} ${percent(score, 0)}`;
    const width = ctx.measureText(text).width + 2 * pad;
    const height = font + 2 * pad;
    const tagX = Math.min(Math.max(0, left - line / 2), ctx.canvas.width - width);
    let tagY = top - height >= 0 ? top - height : top; // above the box, or inside it at the top edge
    const hides = ([x, y, w, h]) => tagX < x + w && x < tagX + width && tagY < y + h && y < tagY + height;
    while (tags.some(hides)) tagY = Math.max(...tags.filter(hides).map(([, y, , h]) => y + h));
    tags.push([tagX, tagY, width, height]);
    ctx.fillRect(tagX, tagY, width, height);
    ctx.fillStyle = inkOn(label);
    ctx.fillText(text, tagX + pad, tagY + pad);
  }
  ctx.restore();
}
