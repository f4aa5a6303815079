"""The registry: every experiment is declared once here, and everything else iterates over it.

This module must stay importable without torch: the server reads it too. Network builders import
torch only when they are called.
"""

from __future__ import annotations

from mlsandbox.kinds import ARTIFACTS_ENV, PACKAGE_ARTIFACTS, Experiment, Recipe  # noqa: F401 (used by importers)


def _collect() -> dict[str, Experiment]:
    from mlsandbox.experiments import (clothes, digits, emotions, generators, image_classification, object_detection, rps,
                                      shakespeare, sketches, summation, wikipedia)

    found = [*digits.EXPERIMENTS, *clothes.EXPERIMENTS, *sketches.EXPERIMENTS, *summation.EXPERIMENTS, *shakespeare.EXPERIMENTS,
             *wikipedia.EXPERIMENTS, *generators.EXPERIMENTS,
             *image_classification.EXPERIMENTS, *object_detection.EXPERIMENTS, *emotions.EXPERIMENTS, *rps.EXPERIMENTS]
    return {e.id: e for e in found}


REGISTRY: dict[str, Experiment] = _collect()


class UnknownExperiment(KeyError):
    def __str__(self) -> str:
        return f"There is no experiment {self.args[0]!r}. Known experiments: {', '.join(REGISTRY)}."


def get(experiment_id: str) -> Experiment:
    try:
        return REGISTRY[experiment_id]
    except KeyError:
        raise UnknownExperiment(experiment_id) from None


def family(experiment: Experiment) -> list[Experiment]:
    return [e for e in REGISTRY.values() if e.family == experiment.family]
