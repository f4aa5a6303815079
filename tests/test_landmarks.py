"""The hand landmark pipeline: the converted MediaPipe networks as pinned, the palm anchors, features that
ignore where the hand is, and the hand found where the renderer drew it."""

import json

import numpy as np
import pytest
from PIL import Image

from mlsandbox.data import hands
from mlsandbox.kinds import hand_landmarks as hl
from mlsandbox.runtime import ModelUnavailable


def test_converted_networks_are_the_pinned_ones_and_matched_tensorflow_js():
    for name, sha256 in hl.NETWORKS.items():
        record = json.loads((hl.networks_dir() / f"{name}.conversion.json").read_text())
        assert record["onnx"]["sha256"] == sha256
        worst = max(d for per_input in record["parity"]["max_abs_difference"].values() for d in per_input.values())
        assert worst <= record["parity"]["tolerance"] <= 1e-3


def test_palm_anchors_tile_three_grids():
    anchors = hl.palm_anchors()
    assert anchors.shape == (2944, 2)
    assert np.allclose(anchors[0], 0.5 / 32) and np.allclose(anchors[-1], 7.5 / 8)
    assert np.allclose(anchors[2048], 0.5 / 16) and np.allclose(anchors[2048 + 512], 0.5 / 8)


def test_features_ignore_place_turn_and_size():
    points = hands.pose_points(np.random.default_rng(0), 2).astype(np.float32)
    angle = 0.7
    turn = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]], np.float32)
    moved = (points @ turn.T) * 37.0 + np.array([120.0, 80.0, 0.0], np.float32)
    assert np.allclose(hl.hand_features(points), hl.hand_features(moved), atol=1e-4)
    other = hands.pose_points(np.random.default_rng(0), 1).astype(np.float32)
    assert not np.allclose(hl.hand_features(points), hl.hand_features(other), atol=0.1)


@pytest.fixture(scope="module")
def finder():
    return hl.HandFinder(hl.networks_dir(), threads=1)


def test_finds_the_hand_where_the_renderer_drew_it(finder):
    picture, _, truth = hands.render(5, "validation")
    hand = finder.find(Image.fromarray(picture))
    assert hand is not None and hand.presence > 0.5
    palm = np.hypot(*(truth[9] - truth[0]))
    assert np.median(np.hypot(*(hand.points[:, :2] - truth).T)) < 0.5 * palm


def test_sees_no_hand_in_a_blank_frame(finder):
    assert finder.find(Image.new("RGB", (640, 480), (200, 200, 200))) is None
    assert np.isnan(finder.features([Image.new("RGB", (64, 64))])).all()


def test_a_changed_network_is_refused(tmp_path):
    for name in hl.NETWORKS:
        (tmp_path / f"{name}.onnx").write_bytes((hl.networks_dir() / f"{name}.onnx").read_bytes()[:-10])
    with pytest.raises(ModelUnavailable, match="convert_tfjs.py"):
        hl.HandFinder(tmp_path)
