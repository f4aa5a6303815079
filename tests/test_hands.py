"""The rendered rock-paper-scissors hands: seeded, balanced, split with a domain shift, landmarks on the hand."""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np
import pytest

from mlsandbox.data import Split, hands
from mlsandbox.data.hands import draw, scenes

COUNTS = hands.COUNTS
TIPS, MCPS = [4, 8, 12, 16, 20], [2, 5, 9, 13, 17]


@pytest.fixture(scope="module")
def drawn():
    """Every scene of each part at the default counts: cheap, nothing is rendered."""
    return {part: [hands.scene(i, part) for i in range(COUNTS[part])] for part in hands.PARTS}


def test_the_same_index_renders_the_same_bytes_and_others_differ():
    first, label, points = hands.render(7, "train", 96)
    again, label_again, points_again = hands.render(7, "train", 96)
    assert first.dtype == np.uint8 and first.shape == (96, 96, 3)
    assert first.tobytes() == again.tobytes() and label == label_again
    np.testing.assert_array_equal(points, points_again)
    assert hands.render(8, "train", 96)[0].tobytes() != first.tobytes()
    assert hands.render(7, "test", 96)[0].tobytes() != first.tobytes()


def test_render_time_per_image():
    for i in range(12):
        hands.render(i, "train", 32)  # reads the photos once
    start = time.perf_counter()
    for i in range(12):
        hands.render(i, "train")
    print(f"\n{(time.perf_counter() - start) / 12 * 1000:.1f} ms per 300x300 picture")


def test_classes_are_balanced(drawn):
    for part, scenes_ in drawn.items():
        assert np.bincount([s.label for s in scenes_], minlength=3).tolist() == [COUNTS[part] // 3] * 3


def test_training_never_sees_what_is_held_out_and_test_does(drawn):
    def seen(part):
        out = {"tones": set(), "textures": set(), "photos": set(), "yaw band": 0, "roll band": 0}
        for s in drawn[part]:
            out["tones"].add(s.tone)
            family, photo, _ = s.background
            out["photos" if family == "photo" else "textures"].add(photo or family)
            out["yaw band"] += scenes.YAW_BAND[0] <= abs(s.yaw) <= scenes.YAW_BAND[1]
            out["roll band"] += abs(s.roll) > scenes.ROLL
        return out

    train, validation, test = seen("train"), seen("validation"), seen("test")
    for kind in ("tones", "textures", "photos"):
        for part in ("validation", "test"):
            held = set(hands.HELD_OUT[part][kind])
            assert not held & train[kind], kind
            assert held <= {"validation": validation, "test": test}[part][kind], kind
        assert train[kind] == set(hands.TRAIN[kind]), kind
    assert not set(hands.HELD_OUT["test"]["tones"]) & validation["tones"]
    assert 0 not in (test["yaw band"], test["roll band"])
    assert train["yaw band"] == train["roll band"] == validation["yaw band"] == validation["roll band"] == 0
    assert min(hands.HELD_OUT["test"]["tones"]) > 0 and max(hands.HELD_OUT["test"]["tones"]) < 9
    assert set(hands.SPLIT["test"]["tones"]) == set(hands.HELD_OUT["test"]["tones"])
    assert "test adds tones 4, 8" in hands.DESCRIPTION


def test_held_out_groups_name_what_each_test_render_holds_that_training_never_had(drawn):
    groups = hands.held_out_groups(COUNTS["test"])
    for i, s in enumerate(drawn["test"]):
        unseen = hands.unseen(s, "test")
        assert groups["nothing unseen"][i] == (not any(unseen.values()))
        assert [groups[f"unseen {kind}"][i] for kind in ("tone", "background", "angle")] == list(unseen.values())
        assert groups["over wood"][i] == (s.background[0] == "wood")
        assert groups["over coffee.png"][i] == (s.background[1] == "coffee.png")
    assert (groups["over wood"] | groups["over coffee.png"]).tolist() == groups["unseen background"].tolist()
    assert 0 < groups["nothing unseen"].sum() < COUNTS["test"]


def test_a_quick_subset_keeps_each_test_examples_groups():
    ids = np.arange(40)
    split = Split(ids, ids % 3, ids, ids % 3, ids, ids % 3, "numbered", groups={"even": ids % 2 == 0})
    small = split.subset(8, seed=1)
    assert len(small.x_test) == 8 and small.x_test.tolist() != ids[:8].tolist()
    assert small.groups["even"].tolist() == (small.x_test % 2 == 0).tolist()


def test_landmarks_lie_on_the_drawn_hand():
    for index in range(9):
        scene = hands.scene(index, "test")
        image, _, points = hands.render(index, "test", 128)
        _, coverage = draw.hand(scene, 128)
        assert points.shape == (21, 2) and np.all((points >= 0) & (points < 128))
        for x, y in points.astype(int):
            assert coverage[max(y - 2, 0) : y + 3, max(x - 2, 0) : x + 3].max() > 0.5


def test_fingertips_of_paper_reach_past_their_knuckles_and_rock_curls_them_in():
    rng = np.random.default_rng(0)
    for _ in range(20):
        for label, reach in ((1, 1.0), (0, -1.0)):
            points = hands.pose_points(rng, label)
            assert points.shape == (21, 3) and np.allclose(points[0], 0)
            tips, knuckles = (np.linalg.norm(points[i], axis=1) for i in (TIPS[1:], MCPS[1:]))
            assert np.all(np.sign(tips - knuckles) == reach)
        scissors = hands.pose_points(rng, 2)
        tips, knuckles = (np.linalg.norm(scissors[i], axis=1) for i in (TIPS[1:], MCPS[1:]))
        assert np.all(tips[:2] > knuckles[:2]) and np.all(tips[2:] < knuckles[2:])


def test_hand_size_and_skin_do_not_depend_on_the_pose(drawn):
    train = drawn["train"]
    for values in ([s.scale for s in train], [s.tone for s in train]):
        means = [np.mean([v for v, s in zip(values, train) if s.label == label]) for label in range(3)]
        assert np.ptp(means) < 0.08 * np.mean(values) + 0.3 * np.std(values)


def test_gallery_and_load_at_a_small_size(tmp_path, monkeypatch):
    assert hands.gallery(2, "validation", 40).shape == (3 * 44 - 4, 2 * 44 - 4, 3)
    monkeypatch.setattr(hands, "assets", SimpleNamespace(cache_dir=lambda: tmp_path))  # photos stay put
    split = hands.load(24, {"train": 6, "validation": 3, "test": 3})
    assert split.x_train.shape == (6, 3, 24, 24) and split.x_train.dtype == np.float32  # read as camera frames are
    assert split.y_test.tolist() == [0, 1, 2] and 0.0 <= split.x_val.min() and split.x_val.max() <= 1.0
    again = hands.load(24, {"train": 6, "validation": 3, "test": 3})
    np.testing.assert_array_equal(split.x_test, again.x_test)
    assert len(list((tmp_path / "hands").glob("*.npz"))) == 3  # one file for each part, read back the second time


def test_the_hands_coverage_is_where_it_was_drawn_and_backdrops_are_of_training_kinds(tmp_path, monkeypatch):
    picture, label, points, coverage = hands.layered(4, "train", 96)
    assert picture.tobytes() == hands.render(4, "train", 96)[0].tobytes() and label == 1
    assert coverage.dtype == np.uint8 and coverage.shape == (96, 96)
    for x, y in points.astype(int):
        assert coverage[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2].max() > 127
    assert 0.5 < (coverage == 0).mean() < 0.98  # a hand, on a picture that is mostly background

    held = {value for part in hands.HELD_OUT.values() for kind in ("textures", "photos") for value in part[kind]}
    kinds = {photo or family for family, photo in (scenes.training_background(np.random.default_rng(i))
                                                   for i in range(400))}
    assert kinds == set(hands.TRAIN["textures"]) | set(hands.TRAIN["photos"]) and not kinds & held

    monkeypatch.setattr(hands, "assets", SimpleNamespace(cache_dir=lambda: tmp_path))
    backdrops = hands.backdrops(24, 4)
    assert backdrops.shape == (4, 3, 24, 24) and backdrops.dtype == np.float32
    np.testing.assert_array_equal(backdrops, hands.backdrops(24, 4))  # read back from the cache
    assert len({b.tobytes() for b in backdrops}) == 4
    counts = {"train": 6, "validation": 3, "test": 3}
    covered, plain = hands.load(24, counts, coverage=True), hands.load(24, counts)
    assert covered.x_train.shape == (6, 4, 24, 24) and covered.x_val.shape == (3, 3, 24, 24)
    np.testing.assert_array_equal(covered.x_train[:, :3], plain.x_train)
    np.testing.assert_array_equal(covered.x_test, plain.x_test)
