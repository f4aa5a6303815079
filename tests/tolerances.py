"""How far a recomputed figure may be from the one it is checked against: what floating point can move it on
another processor, and no further, so that a wrong model still fails (tests/test_teeth.py shows it with the
wrong models of tests/wrong_models.py). Above all, a figure `mlsandbox evaluate --json` measures against the
one its model card committed.

What floating point moves was measured on the committed models, float32 as served against the same graphs
run in float64 (onnx.reference) and against ONNX Runtime with its graph optimisations off (other fused
kernels, as another processor's may be): a softmax probability moved by at most 6.6e-7 (4.5e-7 from
float64), a log-probability of shakespeare_lstm's by at most 9.0e-6 (on average 5.2e-7, signs cancelling).
"""

from __future__ import annotations

import math

import numpy as np

FLOAT32_EPS = float(np.finfo(np.float32).eps)  # 1.19e-7

# An accuracy counts test examples, so only one within ~1e-6 of a tie can change side; the test sets hold at most
# one within 1e-5 (sketch_mlp's top-1 4.5e-6, sketch_cnn's top-3 2.6e-6; summation's closest 6.9e-2): one may flip.
FLIPPED_EXAMPLES = 1
# Nats per character: STEP_SUMS of itself, and twice LOG_PROBABILITY (3e-5 nats on shakespeare_lstm). The machine
# that failed abs=1e-9 was 2.5e-9 away; the LSTM trained before this one 1.4e-2, the transformer 0.22.
STEP_SUMS = 64 * FLOAT32_EPS  # score() sums each step's 64 log-probabilities in float32: 64 eps in another order
LOG_PROBABILITY = 9.0e-6  # the most a log-probability moved (measured); each of two processors may move it so far
# ONNX Runtime against PyTorch on one float32 net: small random nets 3e-8 (probabilities), 9.5e-7 (log-probabilities,
# 2 ulps), MobileNetV2 on the photos 2.2e-6; a permuted export of the random sketch_cnn is 3.7e-4 away. Generators'
# pictures, a VAE's pixel logits and its encoder's latent points: fresh nets 1.5e-7 at most (three torch seeds each),
# the fast-mode digits_vae 3.8e-6.
ONNX_VS_PYTORCH = 1e-5
SUMS_TO_ONE = 1e-5
# An image generator's figures. Its shares (confident, readability, class shares) count pictures as an accuracy
# counts test examples: one within ~1e-6 of the judge's 0.9 line or of a tie may change side (of digits_gan's 10,000
# pictures the closest was 1.2e-5 from the line, its closest tie 0.82 apart): FLIPPED_EXAMPLES of them. The class
# spread is their entropy: moving one of N pictures between classes moves it by at most (1 + ln N) / (N ln classes).
# The rest are float64 sums of float32 outputs (Fréchet distances in the judge's features, a VAE's ELBO terms and
# squared error): with the graph optimisations off they moved by 2.7e-8 of themselves at most (digits_vae's kl_nats;
# its Fréchet distance 1.1e-8, digits_gan's 1.9e-9); a wrong model moves them by far more than a millionth.
SUMMED_FIGURE = 1e-6
GENERATOR_SHARES = ("confident", "readability")
GENERATOR_SUMS = ("frechet", "frechet_floor", "frechet_ratio", "neg_elbo_nats", "reconstruction_nats", "kl_nats",
                  "reconstruction_mse")  # float32 probabilities of k classes sum to 1 within about k eps (10 digits: 1.2e-6)


def check_counts_match_card(report: dict, card: dict, metrics: tuple[str, ...]) -> None:
    """Each accuracy-like metric (a share of report["test_examples"]) is the card's, give or take
    FLIPPED_EXAMPLES examples."""
    n = report["test_examples"]
    assert n == card["metrics"]["test_examples"], f"{report['id']}: {n} test examples, the card {card['metrics']}"
    for metric in metrics:
        got, committed = round(report[metric] * n), round(card["metrics"][metric] * n)
        assert abs(got - committed) <= FLIPPED_EXAMPLES, (
            f"{report['id']}: {metric} {report[metric]:.6f} ({got} of {n}) is {abs(got - committed)} examples "
            f"from the card's {card['metrics'][metric]:.6f} ({committed}): the card is out of date")


def check_nats_match_card(report: dict, card: dict) -> None:
    """Nats per character is the card's, within what float32 can move a mean of log-probabilities."""
    committed = card["metrics"]["nats_per_char"]
    gap = abs(report["nats_per_char"] - committed)
    assert gap <= STEP_SUMS * committed + 2 * LOG_PROBABILITY, (
        f"{report['id']}: {report['nats_per_char']:.9f} nats per character is {gap:.2e} from the card's "
        f"{committed:.9f}: the card is out of date")


def check_generator_matches_card(report: dict, card: dict) -> None:
    """An image generator's figures are the card's: its shares give or take FLIPPED_EXAMPLES pictures (each digit's
    readability of its N / classes pictures), its class spread as far as that many flips move it, and its sums
    within SUMMED_FIGURE of themselves."""
    committed, n = card["metrics"], card["metrics"]["samples"]
    assert report["samples"] == n and report["judge"] == committed["judge"], f"{report['id']}: {report} is not {committed}"
    def counts_agree(metric: str, got: float, wanted: float, of: int) -> None:
        assert abs(round(got * of) - round(wanted * of)) <= FLIPPED_EXAMPLES, (
            f"{report['id']}: {metric} {got:.6f} ({round(got * of)} of {of}) is {abs(round(got * of) - round(wanted * of))} "
            f"pictures from the card's {wanted:.6f}: the card is out of date")

    for metric in GENERATOR_SHARES:
        if metric in committed:
            counts_agree(metric, report[metric], committed[metric], n)
    classes = len(committed["class_shares"])
    for k, (got, wanted) in enumerate(zip(report["class_shares"], committed["class_shares"], strict=True)):
        counts_agree(f"class_shares[{k}]", got, wanted, n)
    for k, (got, wanted) in enumerate(zip(report.get("readability_per_class", []),
                                          committed.get("readability_per_class", []), strict=True)):
        counts_agree(f"readability_per_class[{k}]", got, wanted, n // classes)
    flips = FLIPPED_EXAMPLES * (1 + math.log(n)) / (n * math.log(classes))
    gap = abs(report["class_spread"] - committed["class_spread"])
    assert gap <= flips, (f"{report['id']}: class_spread {report['class_spread']:.6f} is {gap:.2e} from the card's "
                          f"{committed['class_spread']:.6f}: the card is out of date")
    for metric in GENERATOR_SUMS:
        if metric in committed:
            gap = abs(report[metric] - committed[metric])
            assert gap <= SUMMED_FIGURE * abs(committed[metric]), (
                f"{report['id']}: {metric} {report[metric]:.9g} is {gap:.2e} from the card's {committed[metric]:.9g}: "
                "the card is out of date")
    assert report.get("test_examples") == committed.get("test_examples"), (
        f"{report['id']}: {report.get('test_examples')} test pictures, not the card's {committed.get('test_examples')}")


# A face reader's figures are rounded as its answers are: scores and probabilities to 1e-4, boxes and points to 0.1 px
# (a point rounded in float32, as the first card's were, is off by float32's spacing at 1920 px, 1.2e-4, too).
# Float32 moves the unrounded ones by ~1e-6 of themselves, which can carry a rounded one across a step: one step
# apart at most. Which faces are found, and their expressions, are exact: the card's scores are 0.004 or more from
# its threshold and the highest without a face 0.05 below it, and each face's two likeliest expressions are 0.008 or
# more apart.
FACE_SCORE_STEP = 1e-4 + 1e-9
FACE_PIXEL_STEP = 0.1 + 4096 * FLOAT32_EPS


def check_faces_match_card(report: dict, card: dict) -> None:
    """A face reader's faces in each photo are the card's (as many, each with its expression, its score and
    probabilities within a rounding step, its box and points within one), and so is its highest score in each photo
    without a face."""
    committed, who = card["metrics"], report["id"]
    assert report["score_threshold"] == committed["score_threshold"], f"{who}: another threshold than the card's"
    assert report["photos_with_faces"].keys() == committed["photos_with_faces"].keys(), \
        f"{who}: other photos with faces than the card's: the card is out of date"
    for name, faces in committed["photos_with_faces"].items():
        found = report["photos_with_faces"][name]
        assert len(found) == len(faces), (f"{who}: {len(found)} faces in {name}, {abs(len(found) - len(faces))} from "
                                          f"the card's {len(faces)}: the card is out of date")
        for k, (got, wanted) in enumerate(zip(found, faces)):
            assert got["expression"] == wanted["expression"], (
                f"{who}: face {k + 1} in {name} reads {got['expression']}, away from the card's "
                f"{wanted['expression']}: the card is out of date")
            scores = [(got["score"], wanted["score"])] + [(p, wanted["probabilities"][label])
                                                         for label, p in got["probabilities"].items()]
            gap = max(abs(a - b) for a, b in scores)
            assert gap <= FACE_SCORE_STEP, (f"{who}: face {k + 1} in {name} is {gap:.2e} from the card's score or "
                                            "probabilities: the card is out of date")
            pixels = max(abs(a - b) for a, b in zip([*got["box"], *sum(got["points"], [])],
                                                    [*wanted["box"], *sum(wanted["points"], [])], strict=True))
            assert pixels <= FACE_PIXEL_STEP, (f"{who}: face {k + 1} in {name} is {pixels:.3f} px from the card's "
                                               "box or points: the card is out of date")
    assert report["highest_score_without_faces"].keys() == committed["highest_score_without_faces"].keys(), \
        f"{who}: other photos without faces than the card's: the card is out of date"
    for name, wanted in committed["highest_score_without_faces"].items():
        gap = abs(report["highest_score_without_faces"][name] - wanted)
        assert gap <= FACE_SCORE_STEP, (f"{who}: the highest score in {name} (no face) is {gap:.2e} from the card's "
                                        f"{wanted}: the card is out of date")
