"""The second reader: trained reproducibly from the repository, raises and never lowers."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from messages.triage import triage
from messages.triage.engine import rules_only
from messages.triage.second_reader import MODEL_FILE, load_second_reader
from messages.triage.training import MODEL_PATH, digest, fit_final, read_rows, training_files
from schema.vocabulary import Label, Review
from tests.triage.test_properties import SAMPLE_REPLIES


def _rank(label: Label, review: Review | None) -> int:
    """How soon a person sees it: the second reader may only move a reply up this order."""
    if label in (Label.STOP, Label.START, Label.HELP):
        return -1
    return {Label.NONE: 0, Label.UNCLEAR: 1, Label.AMBER: 3, Label.RED: 4}[label] + (
        1 if review == Review.URGENT else 0
    )


def test_the_model_is_a_small_text_file_of_weights_not_a_pickle() -> None:
    text = MODEL_PATH.read_text("utf-8")
    model = json.loads(text)
    assert MODEL_PATH.name == MODEL_FILE
    assert len(text) < 2_000_000
    assert set(model) >= {"weights", "intercepts", "thresholds", "trained_on"}


def test_retraining_from_the_files_in_the_repository_reproduces_the_committed_weights() -> None:
    files = training_files()
    committed = json.loads(MODEL_PATH.read_text("utf-8"))
    assert committed["trained_on"]["sha256"] == digest(files), "retrain: the corpus has changed"
    retrained = fit_final(read_rows(files), committed["trained_on"]["C"])
    assert retrained["intercepts"] == committed["intercepts"]
    ours, theirs = committed["weights"], retrained["weights"]
    # a weight within rounding of the pruning line may fall either side of it
    assert len(set(ours) ^ set(theirs)) <= 0.001 * len(ours)
    assert (
        max(abs(ours[f][i] - theirs[f][i]) for f in set(ours) & set(theirs) for i in (0, 1)) < 2e-3
    )


def test_the_training_files_are_the_repositorys_and_never_the_held_out_split() -> None:
    assert all("heldout" not in path.parts for path in training_files())
    assert {path.parent.name for path in training_files()} == {"dev", "train"}


def test_when_it_raises_the_evidence_says_which_reader_and_why() -> None:
    result = triage("Gone off her legs since yesterday, Mum's 82")
    assert result.label == Label.RED
    assert result.evidence["reader"] == "second reader"
    assert "'legs'" in result.evidence["second_reader"]["red_because"]
    assert "second reader" in result.evidence["reason"]


def test_a_none_the_rules_showed_is_never_made_red_by_the_second_reader() -> None:
    reader = load_second_reader()
    assert reader is not None
    assert reader.thresholds.none_urgent > reader.thresholds.red  # shown none: only urgent


texts = st.one_of(
    st.sampled_from(SAMPLE_REPLIES),
    st.text(max_size=200),
    st.lists(
        st.sampled_from(
            ["legs", "fine", "not", "weak", "back", "thanks", "numb", "my", "feel", "odd", "no"]
        ),
        min_size=1,
        max_size=8,
    ).map(" ".join),
)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_the_second_reader_never_lowers_a_label(text: str) -> None:
    rules, both = rules_only(text), triage(text)
    assert _rank(both.label, both.review) >= _rank(rules.label, rules.review)
