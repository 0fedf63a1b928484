"""The crisis model: its features, the packaged weights scoring as scikit-learn does, and its thresholds."""

from __future__ import annotations

import gzip
import json
from importlib import resources
from pathlib import Path

import pytest

from brug.bot.signals import training
from brug.bot.signals.evaluation import Example, read_examples
from brug.bot.signals.lexicon import LANGUAGES
from brug.bot.signals.model import BUCKETS, MODEL_FILE, load_model, ngrams, save_model
from brug.bot.signals.normalise import normalise

HERE = Path(__file__).parent


def test_ngrams_are_the_characters_of_each_padded_word_and_the_words_and_word_pairs() -> None:
    chars, words = ngrams("ab cd")
    # " ab " has 4 + 3 + 2 + 1 n-grams of 1 to 4 characters, and so has " cd "; spaces repeat, counted twice.
    assert sum(chars.values()) == 20
    assert sum(words.values()) == 3
    assert all(0 <= bucket < BUCKETS for bucket in [*chars, *words])
    assert ngrams("ab cd") == ngrams("ab cd"), "hashing is stable, not Python's salted hash"


def test_saved_weights_score_exactly_as_the_trained_model(tmp_path: Path) -> None:
    examples = read_examples(HERE / "heldout.jsonl")
    model, idf = training.fit(examples[:300])
    out = tmp_path / "m.gz"
    coef = model.coef_[0].tolist()
    save_model(
        out, idf, [coef[:BUCKETS], coef[BUCKETS:]], float(model.intercept_[0]), {"thresholds": {"en": 0.0}}
    )
    loaded = load_model(out)
    texts = [e.text for e in examples[300:340]]
    expected = model.decision_function(training.features(texts, idf)[0])
    assert [loaded.score(normalise(t)) for t in texts] == pytest.approx(expected.tolist(), abs=1e-4)


def _scored(language: str, severity: str, scores: list[float]) -> list[tuple[Example, float]]:
    return [(Example(f"{severity}{i}", language, "x", severity, ()), s) for i, s in enumerate(scores)]


def test_a_threshold_flags_at_most_one_in_twenty_of_the_ordinary_and_of_the_concern_messages() -> None:
    ordinary = _scored("en", "none", [float(i) for i in range(40)])
    urgent = _scored("en", "urgent", [100.0])
    # 2 of 40 ordinary messages may be flagged: those scoring 38 and 39.
    alone = training.thresholds([*ordinary, *urgent])["en"]
    assert alone == pytest.approx(37.0, abs=1e-3) and sum(s >= alone for _, s in ordinary) == 2
    # 1 of 20 concerns may be flagged: the one scoring 49.5; that limit is stricter, so it wins.
    concerns = _scored("en", "concern", [float(i) + 30.5 for i in range(20)])
    both = training.thresholds([*ordinary, *concerns, *urgent])["en"]
    assert sum(s >= both for _, s in concerns) == 1 and sum(s >= both for _, s in ordinary) == 0


def test_the_packaged_model_has_thresholds_per_language_and_was_not_trained_on_the_last_blind_round() -> None:
    model = load_model()
    assert set(model.thresholds) == set(LANGUAGES)
    assert model.threshold("unknown") == max(model.thresholds.values())
    raw = gzip.decompress((resources.files("brug.bot.signals") / MODEL_FILE).read_bytes())
    header = json.loads(raw[: raw.index(b"\n")])
    newest = max((HERE / "blind").glob("*.jsonl"), key=lambda path: int(path.stem.rsplit("round", 1)[1])).name
    assert newest not in header["trained_on"], "keep one blind round out, to measure the model on"
    assert {path.name for path in training.DEFAULT_FILES} == set(header["trained_on"])
