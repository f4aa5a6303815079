"""Everything random about one picture, drawn from a generator seeded by (SEED, part, index) alone, and
the split's domain shift: skin tones, backgrounds and viewing angles that only validation or test see."""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np

from mlsandbox.data import photos
from mlsandbox.data.hands import skeleton

SEED = 0
PARTS = ("train", "validation", "test")
# Ten skin tones from very light to very dark, in the spirit of the Monk Skin Tone scale (own values).
TONES = np.array([(247, 226, 212), (238, 207, 184), (229, 187, 156), (214, 165, 128), (196, 144, 104),
                  (170, 118, 80), (141, 94, 63), (112, 73, 49), (84, 56, 40), (58, 40, 32)]) / 255.0
TEXTURES = ("solid", "linear", "radial", "noise", "stripes", "checks", "wood")
PHOTOS = (*photos.SHA256, *photos.BACKDROP_SHA256)
PHOTO_SHARE = 0.5  # of the backgrounds a part draws from its usual families
PITCH = (-25.0, 60.0)
ROLL = 80.0  # training's |roll| stays within this
YAW_BAND = (40.0, 70.0)  # |yaw| in here: test only
ROLL_BAND = (80.0, 110.0)  # |roll| in here: test only
SHIFTED = 0.5  # chance that a part which holds something back draws from it, for each kind in turn
SCALE = (0.18, 0.34)  # palm length as a share of the picture's side, whatever the pose
MARGIN = 0.02  # the whole hand stays this far inside the picture
HELD_OUT = {
    "validation": {"tones": (5,), "textures": (), "photos": ("rocket.jpg", "brick.png")},
    "test": {"tones": (3, 7), "textures": ("wood",), "photos": ("coffee.png",)},
}


def _held(kind: str) -> set:
    return {value for part in HELD_OUT.values() for value in part[kind]}


TRAIN = {"tones": tuple(i for i in range(len(TONES)) if i not in _held("tones")),
         "textures": tuple(t for t in TEXTURES if t not in _held("textures")),
         "photos": tuple(p for p in PHOTOS if p not in _held("photos"))}


@dataclass(frozen=True)
class Scene:
    """One picture's choices; lengths are shares of the picture's side, so it renders at any size."""

    label: int
    tone: int
    yaw: float
    pitch: float
    roll: float
    left: bool
    hand: skeleton.Hand  # camera frame, wrist at 0, palm length 1
    origin: np.ndarray  # the wrist's place in the picture
    scale: float  # palm length
    skin: np.ndarray
    palm: np.ndarray
    nail: np.ndarray
    sleeve: tuple | None  # (colour, second colour, pattern, period, start along the forearm)
    light: np.ndarray  # toward the light: x right, y down, z toward the viewer
    ambient: float
    sheen: float
    background: tuple  # (family, photo or None, seed)
    finish: dict
    seed: int  # for the background's and the noise's random arrays


def angles(rng: np.random.Generator, shifted: bool) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees; shifted: inside one of the test-only bands."""
    band = shifted and rng.random() < 0.5
    while True:
        yaw = rng.uniform(*YAW_BAND) * rng.choice([-1, 1]) if band else rng.uniform(-180.0, 180.0)
        if band or not YAW_BAND[0] <= abs(yaw) <= YAW_BAND[1]:
            break
    roll = rng.uniform(*ROLL_BAND) * rng.choice([-1, 1]) if shifted and not band else rng.uniform(-ROLL, ROLL)
    return float(yaw), float(rng.uniform(*PITCH)), float(roll)


def _colour(rng) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.0, 0.8), rng.uniform(0.12, 0.95)))


def _background(rng, part):
    held = HELD_OUT.get(part)
    if held and rng.random() < SHIFTED:
        photo_share = len(held["photos"]) / (len(held["textures"]) + len(held["photos"]))
        return _family(rng, held["textures"], held["photos"], photo_share)
    return training_background(rng)


def training_background(rng) -> tuple[str, str | None]:
    """(family, photo or None) of a background of the kinds training has."""
    return _family(rng, TRAIN["textures"], TRAIN["photos"], PHOTO_SHARE)


def _family(rng, textures, photos, photo_share):
    if rng.random() < photo_share:
        return "photo", str(rng.choice(photos))
    return str(rng.choice(textures)), None


def scene(index: int, part: str) -> Scene:
    """The choices behind picture index of part; the label cycles rock, paper, scissors."""
    rng = np.random.default_rng((SEED, PARTS.index(part), index))
    label = index % 3
    held = HELD_OUT.get(part, {"tones": ()})
    tones = held["tones"] if held["tones"] and rng.random() < SHIFTED else TRAIN["tones"]
    tone = int(rng.choice(tones))
    yaw, pitch, roll = angles(rng, part == "test" and rng.random() < SHIFTED)
    left = bool(rng.random() < 0.5)
    hand = skeleton.pose(rng, label).turned(skeleton.rotation(yaw, pitch, roll, left))
    low = (hand.points[:, :2] - hand.radii[:, None]).min(axis=0)
    high = (hand.points[:, :2] + hand.radii[:, None]).max(axis=0)
    scale = min(rng.uniform(*SCALE), (1.0 - 2 * MARGIN) / (high - low).max())
    origin = rng.uniform(MARGIN - scale * low, 1.0 - MARGIN - scale * high)
    skin = np.clip(TONES[tone] * rng.normal(1.0, 0.035, 3) * rng.normal(1.0, 0.04), 0.0, 1.0)
    palm = skin + rng.uniform(0.12, 0.3) * (1.0 - TONES[tone].mean()) * (np.array([0.95, 0.8, 0.75]) - skin)
    nail = skin + rng.uniform(0.25, 0.45) * (np.array([0.96, 0.86, 0.84]) - skin)
    sleeve = None
    if rng.random() < 0.6:
        pattern = str(rng.choice(["plain", "plain", "rings", "stripes"]))
        sleeve = (_colour(rng), _colour(rng), pattern, rng.uniform(0.15, 0.5), rng.uniform(0.25, 2.0))
    azimuth, elevation = rng.uniform(0, 2 * np.pi), np.radians(rng.uniform(10, 70))
    light = np.array([np.sin(elevation) * np.cos(azimuth), np.sin(elevation) * np.sin(azimuth), np.cos(elevation)])
    background = _background(rng, part)
    finish = {"cast": rng.normal(1.0, 0.06, 3), "brightness": rng.normal(0.0, 0.05),
              "contrast": rng.uniform(0.75, 1.2), "blur": rng.uniform(0.3, 1.8) / 300 * (rng.random() < 0.5),
              "noise": rng.uniform(0.0, 0.045)}
    return Scene(label, tone, yaw, pitch, roll, left, hand, origin, scale, skin, palm, nail, sleeve, light,
                 rng.uniform(0.3, 0.55), rng.uniform(0.03, 0.18), (*background, int(rng.integers(2**31))),
                 finish, int(rng.integers(2**31)))
