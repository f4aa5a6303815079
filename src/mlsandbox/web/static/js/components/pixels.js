// Paint a small grid of 0..1 values (e.g. the 28x28 input a model saw) onto a canvas, light on dark.
export function drawPixels(canvas, rows) {
  const height = rows.length;
  const width = rows[0]?.length ?? 0;
  canvas.width = width;
  canvas.height = height;
  if (!width) return;
  const image = new ImageData(width, height);
  rows.flat().forEach((v, i) => {
    const level = Math.round(Math.min(1, Math.max(0, v)) * 255);
    image.data.set([level, level, level, 255], i * 4);
  });
  canvas.getContext("2d").putImageData(image, 0, 0);
}
