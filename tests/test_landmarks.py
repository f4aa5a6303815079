"""The hand landmark pipeline: the converted MediaPipe networks as pinned, the palm anchors and proposals,
features that ignore where the hand is and mirror with it, and the hand found where the renderer drew it."""

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


def test_palm_proposals_are_the_likeliest_that_do_not_overlap():
    raw = np.zeros((len(hl.ANCHORS), 19), np.float32)
    raw[:, 0] = -10.0
    raw[:, 3:5] = 40.0  # every box 40 network pixels square, centred on its anchor
    first, same, other, faint = 100, 101, 2048 + 300, 2048 + 100  # 101 shares 100's cell; the others lie apart
    raw[[first, same, other, faint], 0] = [4.0, 3.0, 2.0, -1.0]
    found = hl.palms(raw, scale=2.0, offset=np.array([10.0, 0.0], np.float32), count=3)
    assert [round(p.score, 3) for p in found] == [round(1 / (1 + np.exp(-s)), 3) for s in (4.0, 2.0, -1.0)]
    assert np.allclose(found[0].centre, hl.ANCHORS[first] * hl.PALM_SIZE * 2.0 + [10.0, 0.0])
    assert found[0].size == pytest.approx(80.0)


def test_features_of_a_mirrored_hand_are_its_features_with_x_negated():
    points = hands.pose_points(np.random.default_rng(1), 0).astype(np.float32)
    mirrored = points * np.array([-1.0, 1.0, 1.0], np.float32)
    expected = hl.hand_features(points).reshape(21, 3) * np.array([-1.0, 1.0, 1.0], np.float32)
    assert np.allclose(hl.hand_features(mirrored).reshape(21, 3), expected, atol=1e-5)


@pytest.fixture(scope="module")
def finder():
    return hl.HandFinder(hl.networks_dir(), threads=1)


def assert_on_the_hand(hand, truth):
    """The points found lie, in the median, within half a palm of where the renderer drew the joints."""
    palm = np.hypot(*(truth[9] - truth[0]))
    assert np.median(np.hypot(*(hand.points[:, :2] - truth).T)) < 0.5 * palm


def test_finds_the_hand_where_the_renderer_drew_it(finder):
    picture, _, truth = hands.render(5, "validation")
    hand = finder.find(Image.fromarray(picture))
    assert hand is not None and hand.score >= hl.HAND_THRESHOLD and 0 <= hand.presence <= 1
    assert_on_the_hand(hand, truth)


def test_looks_for_itself_where_no_palm_leads_to_the_hand(finder):
    picture, _, truth = hands.render(75, "validation")  # a fist seen edge-on: the palm detector misses it
    frame = Image.fromarray(picture)
    assert finder.likeliest(frame).score < hl.HAND_THRESHOLD
    hand = finder.find(frame)
    assert hand is not None and hand.palm_score is None and hand.score == hand.presence >= hl.LOOK_PRESENCE
    assert_on_the_hand(hand, truth)
    assert hand.as_json(frame.size)["seen"] is True


def test_sees_no_hand_in_a_blank_frame(finder):
    assert finder.find(Image.new("RGB", (640, 480), (200, 200, 200))) is None
    assert np.isnan(finder.features([Image.new("RGB", (64, 64))])).all()


def test_a_changed_network_is_refused(tmp_path):
    for name in hl.NETWORKS:
        (tmp_path / f"{name}.onnx").write_bytes((hl.networks_dir() / f"{name}.onnx").read_bytes()[:-10])
    with pytest.raises(ModelUnavailable, match="convert_tfjs.py"):
        hl.HandFinder(tmp_path)
