// A hand's skeleton drawn on a canvas: its bones as lines between the landmarks, and a dot on each joint.
//
//   drawSkeleton(ctx, points, bones, ([x, y]) => [x, y] on the canvas, { scale: devicePixelRatio });
//
// points: [[x, y], ...] in the frame's pixels (the 21 landmarks of a hand, MediaPipe's order); bones: pairs
// of indices into points.

const BONE = "rgb(255 255 255 / 0.9)";
const JOINT = "#e0457b";
const OUTLINE = "rgb(29 35 48 / 0.6)";

export function drawSkeleton(ctx, points, bones, place, { scale = 1 } = {}) {
  const placed = points.map(place);
  ctx.save();
  ctx.lineCap = "round";
  for (const [width, colour] of [[5 * scale, OUTLINE], [2.5 * scale, BONE]]) {
    ctx.lineWidth = width;
    ctx.strokeStyle = colour;
    ctx.beginPath();
    for (const [a, b] of bones) {
      ctx.moveTo(...placed[a]);
      ctx.lineTo(...placed[b]);
    }
    ctx.stroke();
  }
  ctx.fillStyle = JOINT;
  ctx.strokeStyle = OUTLINE;
  ctx.lineWidth = 1.5 * scale;
  for (const [x, y] of placed) {
    ctx.beginPath();
    ctx.arc(x, y, 3.5 * scale, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }
  ctx.restore();
}
