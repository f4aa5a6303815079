"""Image preprocessing shared by the API, the CLI, evaluation and the tests (NumPy and Pillow only).

The path is: bytes -> decode (with size and pixel limits) -> ink (H, W floats, 1 = ink, 0 = paper, for
dark-on-light and light-on-dark alike) -> a model input such as an MNIST-style 28x28 digit.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 4096 * 4096
INK_THRESHOLD = 0.2


class ImageError(ValueError):
    """The input cannot be used; the message tells the person what to send instead."""


class ImageTooLarge(ImageError):
    pass


class EmptyDrawing(ImageError):
    pass


def decode(data: bytes) -> Image.Image:
    """Open image bytes safely: bounded size and pixel count, fully decoded, or an ImageError."""
    if not data:
        raise ImageError("The image is empty: send the bytes of a PNG, JPEG or WebP image.")
    if len(data) > MAX_BYTES:
        raise ImageTooLarge(f"The image is {len(data):,} bytes; the limit is {MAX_BYTES:,}. Send a smaller image.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageTooLarge(f"The image has too many pixels ({e}). Scale it down and send it again.") from e
    except (OSError, SyntaxError, ValueError) as e:  # UnidentifiedImageError is an OSError
        raise ImageError("The data is not an image this server can read: send a PNG, JPEG or WebP.") from e
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageTooLarge(f"The image is {width}x{height} pixels; the limit is {MAX_PIXELS:,} pixels "
                            f"(e.g. 4096x4096). Scale it down and send it again.")
    try:
        image.load()
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageError(f"The image is truncated or corrupt ({e}). Save it again and resend it.") from e
    return image


def read_file(name: str) -> bytes:
    """An image file's bytes, refused before reading if it is over the upload limit."""
    if Path(name).stat().st_size > MAX_BYTES:
        raise ImageTooLarge(f"The file is over {MAX_BYTES:,} bytes. Scale it down.")
    return Path(name).read_bytes()


def to_ink(image: Image.Image) -> np.ndarray:
    """Ink strength in 0..1 per pixel, whatever the polarity: the paper is found from the border."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        alpha = np.asarray(image.convert("RGBA"), dtype=np.float32)[..., 3] / 255.0
        if alpha.min() < 0.5:  # a transparent sheet: whatever was painted on it is the ink
            return alpha
    gray = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    paper = float(np.median(border))
    ink = 1.0 - gray if paper > 0.5 else gray
    paper_ink = 1.0 - paper if paper > 0.5 else paper
    return np.clip((ink - paper_ink) / max(1.0 - paper_ink, 1e-6), 0.0, 1.0)


def mnist_digit(ink: np.ndarray, box: int = 20, size: int = 28) -> np.ndarray:
    """Normalise a drawing the way MNIST was made: crop to the ink, fit a box x box square keeping the
    aspect ratio (anti-aliased), then place it in size x size with its centre of mass in the middle."""
    rows = np.flatnonzero((ink > INK_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((ink > INK_THRESHOLD).any(axis=0))
    if rows.size == 0:
        raise EmptyDrawing("Nothing is drawn: the image has no ink. Draw something and try again.")
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = box / max(crop.shape)
    width, height = max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))
    patch = Image.fromarray(crop.astype(np.float32), mode="F").resize((width, height), Image.Resampling.LANCZOS)
    patch = np.clip(np.asarray(patch), 0.0, 1.0)

    total = patch.sum()
    if total <= 0:
        raise EmptyDrawing("Nothing is drawn: the image has no ink. Draw something and try again.")
    cy = (patch.sum(axis=1) * np.arange(height)).sum() / total
    cx = (patch.sum(axis=0) * np.arange(width)).sum() / total
    top = int(np.clip(round(size / 2 - cy), 0, size - height))
    left = int(np.clip(round(size / 2 - cx), 0, size - width))
    out = np.zeros((size, size), dtype=np.float32)
    out[top : top + height, left : left + width] = patch
    return out


SKETCH_BOX, SKETCH_SIZE = 28, 32
SKETCH_FLOOR = 0.05  # fainter ink than this is paper noise (and the faintest anti-aliasing)


def sketch(ink: np.ndarray, box: int = SKETCH_BOX, size: int = SKETCH_SIZE) -> np.ndarray:
    """Normalise a drawing the way Quick, Draw! bitmaps are made, then centre it: crop to the ink, scale
    its longer side to box pixels keeping the aspect ratio (anti-aliased), centre in size x size.

    A Quick, Draw! bitmap already fills 28 pixels, so for the dataset this only centres it (and applying
    it twice changes next to nothing). The page redraws a person's strokes with lines 1/28 of the
    drawing's size wide, so at this scale they are one pixel wide, like the dataset's."""
    ink = np.where(ink > SKETCH_FLOOR, ink, 0.0).astype(np.float32)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        raise EmptyDrawing("Nothing is drawn: the image has no ink. Draw something and try again.")
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    if max(crop.shape) != box:
        scale = box / max(crop.shape)
        shape = max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))
        crop = np.clip(np.asarray(Image.fromarray(crop, mode="F").resize(shape, Image.Resampling.LANCZOS)), 0, 1)
    top, left = (size - crop.shape[0]) // 2, (size - crop.shape[1]) // 2
    out = np.zeros((size, size), dtype=np.float32)
    out[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
    return out


def digit_from_bytes(data: bytes) -> np.ndarray:
    """The whole path from uploaded bytes to a 28x28 MNIST-style input in 0..1."""
    return mnist_digit(to_ink(decode(data)))


IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def to_rgb(image: Image.Image) -> Image.Image:
    """Any photo as the camera saw it, in RGB: EXIF orientation applied; transparency over white; grayscale,
    palette, 16-bit and CMYK converted."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit or float grayscale: scale to 8 bits
        values = np.asarray(image, dtype=np.float32)
        image = Image.fromarray(np.uint8(np.clip(values * 255.0 / max(float(values.max()), 1.0), 0, 255)))
    if image.mode in ("RGBA", "LA", "PA", "P") and (image.mode != "P" or "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    return image.convert("RGB")


def imagenet_photo(image: Image.Image, resize: int = 256, crop: int = 224) -> tuple[np.ndarray, tuple[int, ...]]:
    """An RGB photo (see to_rgb) as ImageNet classifiers were trained on it: the short side resized to 256 (bilinear,
    anti-aliased), the centre 224x224 cut out, scaled by ImageNet's mean and std. Returns the (3, 224, 224)
    input and the box (x1, y1, x2, y2) of the photo's own pixels that the crop shows."""
    width, height = image.size
    scale = resize / min(width, height)
    resized = image.resize((max(crop, round(width * scale)), max(crop, round(height * scale))), Image.Resampling.BILINEAR)
    left, top = int(round((resized.width - crop) / 2)), int(round((resized.height - crop) / 2))
    pixels = np.asarray(resized.crop((left, top, left + crop, top + crop)), dtype=np.float32) / 255.0
    model_input = ((pixels - IMAGENET_MEAN) / IMAGENET_STD).transpose(2, 0, 1)
    sx, sy = width / resized.width, height / resized.height
    box = (round(left * sx), round(top * sy), round((left + crop) * sx), round((top + crop) * sy))
    return np.ascontiguousarray(model_input), box


def with_channels(images: np.ndarray) -> np.ndarray:
    """A batch of model inputs with its channel axis, as the networks take it: (N, H, W) drawings become
    (N, 1, H, W); (N, C, H, W) pictures stay; float32."""
    images = np.asarray(images, dtype=np.float32)
    return images[:, None] if images.ndim == 3 else images


def square_photo(image: Image.Image, size: int) -> np.ndarray:
    """An RGB photo (see to_rgb) as a camera-frame classifier reads it: its centred square, resized to
    size x size (bilinear, anti-aliased), (3, size, size) in 0..1."""
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    square = image.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.BILINEAR)
    return np.ascontiguousarray(np.asarray(square, dtype=np.float32).transpose(2, 0, 1) / 255.0)


def to_png(array: np.ndarray) -> bytes:
    """A 0..1 (light-on-dark) array as dark-on-light PNG bytes, as a person would draw it."""
    buffer = io.BytesIO()
    Image.fromarray(np.uint8(255 - np.clip(array, 0, 1) * 255)).save(buffer, format="PNG")
    return buffer.getvalue()
