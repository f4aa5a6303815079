// Where a network looked: a small grid of 0..1 cells laid over a box of a photo on a canvas, smoothly
// upsampled, clear where it saw nothing and red where it saw the most.
//
//   drawHeatmap(ctx, { box: [x1, y1, x2, y2], size: [width, height], cells: [[...], ...] });
//
// box and size are in the photo's own pixels; the canvas holds the whole photo, at any scale.

// value, then red, green, blue, alpha: clear up to 0.3, then cyan, yellow and red, ever more opaque
const RAMP = [[0, 0, 90, 255, 0], [0.3, 0, 160, 255, 0], [0.55, 0, 220, 220, 0.15], [0.8, 255, 220, 0, 0.4],
  [1, 240, 20, 20, 0.65]];

function colour(v) {
  const i = Math.max(1, RAMP.findIndex(([at]) => at >= v));
  const [a, b] = [RAMP[i - 1], RAMP[i]];
  const t = (v - a[0]) / (b[0] - a[0]);
  return a.slice(1).map((x, k) => x + (b[k + 1] - x) * t);
}

export function drawHeatmap(ctx, { box, size, cells }) {
  const [rows, cols] = [cells.length, cells[0]?.length ?? 0];
  if (!rows || !cols) return;
  const grid = new ImageData(cols, rows);
  cells.flat().forEach((v, i) => {
    const [r, g, b, a] = colour(Math.min(1, Math.max(0, v)));
    grid.data.set([r, g, b, Math.round(a * 255)], i * 4);
  });
  const small = document.createElement("canvas");
  small.width = cols;
  small.height = rows;
  small.getContext("2d").putImageData(grid, 0, 0);

  const [sx, sy] = [ctx.canvas.width / size[0], ctx.canvas.height / size[1]];
  const [x, y, w, h] = [box[0] * sx, box[1] * sy, (box[2] - box[0]) * sx, (box[3] - box[1]) * sy];
  ctx.save();
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(small, x, y, w, h);
  // The part of the photo the network was shown.
  const line = Math.max(1.5, ctx.canvas.width / 400);
  ctx.lineWidth = line;
  ctx.setLineDash([4 * line, 3 * line]);
  ctx.strokeStyle = "rgb(255 255 255 / 0.9)";
  ctx.strokeRect(x + line / 2, y + line / 2, w - line, h - line);
  ctx.restore();
}
