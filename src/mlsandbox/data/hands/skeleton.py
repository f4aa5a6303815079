"""A kinematic right hand with MediaPipe's 21 landmarks, in its own frame: u across the palm toward the
thumb, v from the wrist toward the fingers, w out of the back of the hand; 1 is the palm length (wrist to
the middle finger's MCP joint). Landmarks: 0 wrist; 1-4 thumb CMC, MCP, IP, tip; then index, middle, ring
and pinky, each MCP, PIP, DIP, tip."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LABELS = ("rock", "paper", "scissors")
ROCK, PAPER, SCISSORS = range(3)

BASES = np.array([(0.21, 0.17, -0.05), (0.27, 0.95, 0.02), (0.07, 1.0, 0.02), (-0.13, 0.96, 0.02),
                  (-0.31, 0.86, 0.02)])  # thumb CMC, then each finger's MCP
BONES = np.array([(0.42, 0.31, 0.27), (0.41, 0.24, 0.2), (0.45, 0.28, 0.21), (0.42, 0.27, 0.2),
                  (0.33, 0.19, 0.18)])
RADII = np.array([(0.14, 0.115, 0.1, 0.09), (0.1, 0.09, 0.082, 0.072), (0.102, 0.092, 0.084, 0.074),
                  (0.097, 0.087, 0.079, 0.07), (0.087, 0.076, 0.069, 0.062)])
WRIST_RADIUS = 0.27
PALM = np.array([(-0.27, 0.0), (0.2, 0.0), (0.36, 0.36), (0.36, 0.8), (0.29, 0.97), (0.07, 1.02),
                 (-0.14, 0.98), (-0.33, 0.88), (-0.37, 0.55), (-0.33, 0.2)])  # outline (u, v)
PALM_HALF_THICKNESS = 0.13
SPREAD = np.radians([0.0, 9.0, 0.0, -9.0, -19.0])  # paper's sideways angle of each finger


@dataclass(frozen=True)
class Hand:
    """A posed hand. points: (21, 3) landmarks; radii: (21,) the flesh around each; palmar: (21, 3) the
    palm-side direction of the bone that ends at each landmark; palm: (10, 3) the palm's outline on its
    mid-plane, palm_half its half thickness; palm_normal: toward the palm side; forearm: from the wrist
    toward the elbow."""

    points: np.ndarray
    radii: np.ndarray
    palmar: np.ndarray
    palm: np.ndarray
    palm_half: float
    palm_normal: np.ndarray
    forearm: np.ndarray

    def turned(self, rotation: np.ndarray) -> "Hand":
        return Hand(self.points @ rotation.T, self.radii, self.palmar @ rotation.T, self.palm @ rotation.T,
                    self.palm_half, rotation @ self.palm_normal, rotation @ self.forearm)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _chain(base, lengths, direction, bend, angles):
    """Joints along a finger that starts along direction and curls toward bend by each angle in turn."""
    points, palmar, total = [np.asarray(base, float)], [], 0.0
    for length, angle in zip(lengths, angles):
        total += angle
        along = np.cos(total) * direction + np.sin(total) * bend
        points.append(points[-1] + length * along)
        palmar.append(-np.sin(total) * direction + np.cos(total) * bend)
    return points, palmar


def _angles(rng, label):
    """Per finger (thumb first): sideways angle and three flexions in radians, jittered per hand."""
    j = lambda scale, n=1: rng.normal(0.0, np.radians(scale), n)  # noqa: E731
    curled = lambda: np.radians([85, 100, 75]) + j(7, 3)  # noqa: E731
    open_ = lambda: np.radians(rng.uniform([-8, 0, 0], [14, 16, 12]))  # noqa: E731
    spread = SPREAD * rng.uniform(0.3, 1.5) + j(3, 5)
    fingers = [curled() for _ in range(4)] if label == ROCK else [open_() for _ in range(4)]
    if label == SCISSORS:
        spread[1:3] = np.radians([rng.uniform(7, 17), rng.uniform(-13, -4)])
        fingers[2:] = [curled(), curled()]
    thumb = {ROCK: (13, 32, 45, 30), PAPER: (52, 16, 8, 6), SCISSORS: (10, 32, 58, 35)}[label]
    thumb = np.radians(thumb) + j(7, 4)
    if label == ROCK and rng.random() < 0.3:
        thumb = np.radians([8, 30, 10, 10]) + j(5, 4)  # thumb beside the index finger rather than across
    return thumb, spread, fingers


def pose(rng: np.random.Generator, label: int) -> Hand:
    """A right hand in pose label (0 rock, 1 paper, 2 scissors), bones and thickness varied by a few
    percent, bends and spread jittered."""
    size = rng.normal(1.0, 0.03)
    bones = BONES * rng.normal(1.0, 0.03, BONES.shape)
    radii = RADII * rng.normal(1.0, 0.06)
    bases = BASES + rng.normal(0.0, 0.012, BASES.shape)
    u, v, w = np.eye(3)
    thumb, spread, fingers = _angles(rng, label)
    points, palmar = [np.zeros(3)], [-w]
    abduction, opposition, *flexion = thumb
    metacarpal = np.cos(opposition) * (np.cos(abduction) * v + np.sin(abduction) * u) - np.sin(opposition) * w
    across = _unit(-u - 0.45 * w - np.dot(-u - 0.45 * w, metacarpal) * metacarpal)
    chain, bends = _chain(bases[0], bones[0], metacarpal, across, [0.0, *flexion])
    points += chain
    palmar += [across, *bends]
    for finger in range(1, 5):
        direction = np.cos(spread[finger]) * v + np.sin(spread[finger]) * u
        chain, bends = _chain(bases[finger], bones[finger], direction, -w, fingers[finger - 1])
        points += chain
        palmar += [-w, *bends]
    forearm_bend = rng.normal(0.0, np.radians([12, 8]))
    forearm = -np.cos(forearm_bend[0]) * v + np.sin(forearm_bend[0]) * w
    forearm = np.cos(forearm_bend[1]) * forearm + np.sin(forearm_bend[1]) * u
    outline = np.column_stack([PALM * rng.normal(1.0, 0.03, 2), np.zeros(len(PALM))])
    joint_radii = np.concatenate([[WRIST_RADIUS], radii.ravel()])
    return Hand(size * np.array(points), size * joint_radii, np.array(palmar), size * outline,
                size * PALM_HALF_THICKNESS, -w, forearm)


def rotation(yaw: float, pitch: float, roll: float, left: bool) -> np.ndarray:
    """From the hand's frame to the camera's (x right, y down, z away from the camera, as MediaPipe's):
    at 0, 0, 0 a right hand shows its palm with the fingers up; yaw (degrees) turns it about the
    image's vertical (180: the back of the hand), pitch tips the fingers toward the camera, roll turns it
    in the image plane; left mirrors it into a left hand."""
    y, p, r = np.radians([yaw, pitch, roll])
    frame = np.diag([-1.0 if left else 1.0, -1.0, 1.0])
    turn_y = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    tip = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    turn_z = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return turn_z @ tip @ turn_y @ frame
