"""The second reader: a statistical model that reads what no lexicon line lists. It can raise a
label, never lower it.

Two logistic regressions over the same features, trained by ``messages.triage.training`` from
the labelled files in the repository (the development set and ``corpus/train``) and exported as
weights to ``model/second_reader.json``, a small text file (no pickle, nothing downloaded):

- P(red): the reply reads like an MSCC symptom (red against everything else);
- P(alert): it reads like a red or amber symptom (red or amber against none and unclear).

The features are the reply's words and word pairs, and the letter sequences of 3 to 5 inside each
word (with its edges), on lower-case text without accents. Letter sequences carry misspellings,
inflections and other languages ("nogach", "coesau'n", "slabe") that no word list holds.

Inference is plain Python: the weights of the features present, summed, scaled by the square root
of how many there are, through the logistic function. No scikit-learn, numpy or scipy at run time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from messages.triage.normalise import BOUNDARY, QUESTION, tokenise

MODEL_FILE = "second_reader.json"
CHAR_SIZES = (3, 4, 5)
_KEEP = (QUESTION,)


def _tokens(text: str, emoji: Mapping[str, str]) -> list[str]:
    return [t for t in tokenise(text, emoji)[0] if t[0].isalnum() or t in _KEEP]


@lru_cache(maxsize=50_000)
def _word_features(token: str) -> tuple[str, ...]:
    found = ["w:" + token]
    if token[0].isalpha():
        padded = f"<{token}>"
        last = len(padded)
        for size in CHAR_SIZES:
            found.extend(["c:" + padded[i : i + size] for i in range(last - size + 1)])
    return tuple(found)


def features(text: str, emoji: Mapping[str, str]) -> list[str]:
    """The distinct features of a reply, in a stable order (``w:`` words, ``b:`` word pairs,
    ``c:`` letter sequences)."""
    return features_of(_tokens(text, emoji))


def _each_feature(tokens: Sequence[str]) -> Iterator[str]:
    previous = BOUNDARY
    for token in tokens:
        yield from _word_features(token)
        yield "b:" + previous + " " + token
        previous = token
    if tokens:
        yield "b:" + previous + " " + BOUNDARY


def features_of(tokens: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(_each_feature(tokens)))


def _word_scores(
    tokens: Sequence[str], weights: Mapping[str, tuple[float, float]], which: int
) -> list[tuple[str, float]]:
    """How much each word of the reply pushes one probability up: its own weight, its letter
    sequences' and half of each word pair it is in (for the clinician, words, not letters)."""
    scores: dict[str, float] = {}
    previous = BOUNDARY
    padded = [*tokens, BOUNDARY]
    for i, token in enumerate(tokens):
        score = sum(weights[f][which] for f in set(_word_features(token)) if f in weights)
        for pair in ("b:" + previous + " " + token, "b:" + token + " " + padded[i + 1]):
            if pair in weights:
                score += weights[pair][which] / 2
        scores[token] = max(scores.get(token, score), score)
        previous = token
    return sorted(((t, v) for t, v in scores.items() if v > 0), key=lambda x: -x[1])


class Opinion:
    """What the second reader makes of one reply. Why (the words that pushed each probability
    up most) is worked out only when asked, as it is only shown when it raises."""

    def __init__(
        self, p_red: float, p_alert: float, tokens: Sequence[str], model: SecondReader, n: int
    ) -> None:
        self.p_red = p_red
        self.p_alert = p_alert
        self._tokens = tokens
        self._model = model
        self._n = n

    def _because(self, which: int) -> tuple[str, ...]:
        ranked = _word_scores(self._tokens, self._model.weights, which)
        return tuple(f"'{token}'" for token, _ in ranked[: self._n])

    @property
    def red_because(self) -> tuple[str, ...]:
        return self._because(0)

    @property
    def alert_because(self) -> tuple[str, ...]:
        return self._because(1)

    def to_evidence(self, *, explained: bool = False) -> dict[str, Any]:
        evidence: dict[str, Any] = {
            "p_red": round(self.p_red, 3),
            "p_alert": round(self.p_alert, 3),
        }
        if explained:
            evidence["red_because"] = list(self.red_because)
            evidence["alert_because"] = list(self.alert_because)
        return evidence


@dataclass(frozen=True)
class Thresholds:
    """Chosen by cross-validation on the training rows (see ``training.py``)."""

    red: float  # P(red) at or above which a reply the rules read as amber or unclear is red
    urgent: float  # P(alert) at or above which a routine `unclear` goes to urgent review
    # P(alert) at or above which a reply the rules showed to be `none` goes to urgent review;
    # the second reader never makes a shown `none` red: every word of it was accounted for
    none_urgent: float


class SecondReader:
    def __init__(self, model: Mapping[str, Any]) -> None:
        self.version = str(model["version"])
        red, alert = model["intercepts"]
        self.intercepts: tuple[float, float] = (float(red), float(alert))
        self.weights: dict[str, tuple[float, float]] = {
            feature: (float(pair[0]), float(pair[1])) for feature, pair in model["weights"].items()
        }
        chosen = model["thresholds"]
        self.thresholds = Thresholds(
            red=float(chosen["red"]),
            urgent=float(chosen["urgent"]),
            none_urgent=float(chosen["none_urgent"]),
        )
        self.trained_on: dict[str, Any] = dict(model.get("trained_on", {}))

    def read(self, text: str, emoji: Mapping[str, str], *, explain: int = 4) -> Opinion:
        tokens = _tokens(text, emoji)
        # ``scores(features_of(tokens))`` in one pass: the same features, summed in the same
        # order (so the same floating-point sums), without building the list
        seen: set[str] = set()
        red = alert = 0.0
        weight_of = self.weights.get
        for feature in _each_feature(tokens):
            if feature in seen:
                continue
            seen.add(feature)
            pair = weight_of(feature)
            if pair is not None:
                red += pair[0]
                alert += pair[1]
        scale = 1.0 / math.sqrt(len(seen)) if seen else 0.0
        p_red = _logistic(self.intercepts[0] + red * scale)
        p_alert = _logistic(self.intercepts[1] + alert * scale)
        return Opinion(p_red, p_alert, tokens, self, explain)


def _logistic(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def scores(present: Sequence[str], model: SecondReader) -> tuple[float, float]:
    """P(red), P(alert) for features already computed (training uses this to check the export)."""
    red = alert = 0.0
    for feature in present:
        pair = model.weights.get(feature)
        if pair is not None:
            red += pair[0]
            alert += pair[1]
    scale = 1.0 / math.sqrt(len(present)) if present else 0.0
    return (
        _logistic(model.intercepts[0] + red * scale),
        _logistic(model.intercepts[1] + alert * scale),
    )


@lru_cache(maxsize=1)
def load_second_reader() -> SecondReader | None:
    """The committed model, or None when none has been trained yet."""
    source = resources.files("messages.triage").joinpath("model", MODEL_FILE)
    if not source.is_file():
        return None
    return SecondReader(json.loads(source.read_text("utf-8")))
