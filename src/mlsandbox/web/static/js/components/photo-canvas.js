// Photos on canvases: decoded upright (their EXIF orientation applied, as the server does) and drawn
// at most MAX_SIDE pixels long; and a photo sent to a route, smaller if the server finds it too big.
import { postImage } from "../api.js";

const MAX_SIDE = 1280;

// The photo as an ImageBitmap, or null when the browser cannot read it.
export async function uprightBitmap(blob) {
  try {
    return await createImageBitmap(blob, { imageOrientation: "from-image" });
  } catch {
    return createImageBitmap(blob).catch(() => null);
  }
}

// Draw the photo to fill the canvas; returns the 2D context.
export function drawPhoto(canvas, bitmap) {
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return ctx;
}

// The photo as a smaller JPEG, for a server that refused the original as too large.
export function shrink(bitmap, longSide = 2048) {
  const canvas = document.createElement("canvas");
  const scale = Math.min(1, longSide / Math.max(bitmap.width, bitmap.height));
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
}

// The photo posted to url: { bitmap (null when the browser cannot read it), answer, problem (the server's
// words, when it refused) }. A photo too big for the server is sent again smaller.
export async function postPhoto(url, blob) {
  const bitmap = await uprightBitmap(blob);
  try {
    try {
      return { bitmap, answer: await postImage(url, blob), problem: "" };
    } catch (e) {
      if (e.status !== 413 || !bitmap) throw e;
      return { bitmap, answer: await postImage(url, await shrink(bitmap)), problem: "" };
    }
  } catch (e) {
    return { bitmap, answer: null, problem: e.message };
  }
}
