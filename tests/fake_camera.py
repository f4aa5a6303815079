"""A fake camera for Chromium: a still photo (or any sequence of frames) as a Y4M video, and a Chromium
launched to film it.

    with camera_browser(playwright, y4m_of(photo, tmp_path)) as browser: ...
    y4m_of_frames([frame] * 30 + [other] * 30, tmp_path / "two.y4m", rate=(10, 1))  # 3 s of frame, 3 of other

Chromium loops the file's frames as the camera's picture when started with
--use-fake-device-for-media-stream --use-file-for-fake-video-capture=FILE; --use-fake-ui-for-media-stream
answers the permission prompt with yes (without it, a headless Chromium refuses the camera).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

from conftest import CHROMIUM, CHROMIUM_ARGS

MAX_SIZE = (640, 480)
FRAMES = 3


def fitted(photo: Path) -> Image.Image:
    """The photo in RGB, scaled to fit MAX_SIZE, with even sides (4:2:0 halves them)."""
    image = Image.open(photo).convert("RGB")
    scale = min(MAX_SIZE[0] / image.width, MAX_SIZE[1] / image.height)
    return image.resize((round(image.width * scale) // 2 * 2, round(image.height * scale) // 2 * 2),
                        Image.Resampling.LANCZOS)


def yuv420_frame(rgb: np.ndarray) -> bytes:
    """One Y4M frame of an (H, W, 3) RGB picture (uint8, even sides) as 4:2:0 YUV, BT.601 studio range."""
    rgb = np.asarray(rgb, dtype=np.float64) / 255
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 16 + 65.481 * r + 128.553 * g + 24.966 * b
    u = 128 - 37.797 * r - 74.203 * g + 112.0 * b
    v = 128 + 112.0 * r - 93.786 * g - 18.214 * b

    def half(plane):
        return plane.reshape(plane.shape[0] // 2, 2, plane.shape[1] // 2, 2).mean(axis=(1, 3))

    return b"FRAME\n" + b"".join(np.clip(np.rint(p), 0, 255).astype(np.uint8).tobytes() for p in (y, half(u), half(v)))


def y4m_of(photo: Path, folder: Path) -> Path:
    """A few identical frames of the photo as 4:2:0 YUV (BT.601, studio range) in a .y4m file."""
    image = fitted(photo)
    frame = yuv420_frame(np.asarray(image))
    path = folder / f"{photo.stem}.y4m"
    path.write_bytes(f"YUV4MPEG2 W{image.width} H{image.height} F30:1 Ip A1:1 C420jpeg\n".encode() + frame * FRAMES)
    return path


def y4m_of_frames(frames, path: Path, rate: tuple[int, int] = (30, 1)) -> Path:
    """A video of a sequence of (H, W, 3) uint8 RGB frames, all one even size, at rate[0] / rate[1] frames
    a second, as a .y4m file at path. The same array given twice is converted once."""
    frames = list(frames)
    height, width = frames[0].shape[:2]
    if height % 2 or width % 2 or any(f.shape != frames[0].shape for f in frames):
        raise ValueError(f"frames must all be one size with even sides, not {sorted({f.shape for f in frames})}")
    converted: dict[int, bytes] = {}
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{rate[0]}:{rate[1]} Ip A1:1 C420jpeg\n".encode())
        for f in frames:
            if id(f) not in converted:
                converted[id(f)] = yuv420_frame(f)
            out.write(converted[id(f)])
    return path


@contextmanager
def camera_browser(playwright, video: Path | None, *, allowed: bool = True, cameras: int = 1):
    """Chromium with a fake camera filming video (or, with video None, as many cameras as asked showing a
    test pattern); with allowed False, the camera permission is not granted."""
    args = [*CHROMIUM_ARGS, f"--use-fake-device-for-media-stream=device-count={cameras}"]
    if video is not None:
        args.append(f"--use-file-for-fake-video-capture={video}")
    if allowed:
        args.append("--use-fake-ui-for-media-stream")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
    try:
        yield browser
    finally:
        browser.close()
