// Detected objects drawn on a canvas: a box in the label's own colour, and a tag with the label and score.
//
//   drawBoxes(ctx, detections, (box) => [x1, y1, x2, y2] on the canvas, { scale: devicePixelRatio });

import { percent } from "../dom.js";

export function colourOf(label) {
  let hash = 0;
  for (const c of label) hash = (hash * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${hash} 80% 42%)`;
}

export function drawBoxes(ctx, detections, place, { scale = 1 } = {}) {
  const line = 2.5 * scale;
  const font = 14 * scale;
  const pad = 4 * scale;
  ctx.save();
  ctx.lineWidth = line;
  ctx.font = `600 ${font}px system-ui, sans-serif`;
  ctx.textBaseline = "top";
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
    const tagY = top - height >= 0 ? top - height : top; // above the box, or inside it at the top edge
    ctx.fillRect(tagX, tagY, width, height);
    ctx.fillStyle = "#fff";
    ctx.fillText(text, tagX + pad, tagY + pad);
  }
  ctx.restore();
}
