"""Train the crisis model (`model.py`) from labelled messages: `python -m brug.bot.signals.training`.

Needs scikit-learn (the `dev` extra); the bot does not. The model learns "urgent or not" with a logistic
regression (C = 3, balanced classes) on the same hashed TF-IDF features the bot computes.

Thresholds are chosen without looking at the messages they are applied to: each source file in turn is
left out, a model is trained on the others and scores it. Per language, the threshold is the lowest that
calls at most `FLAGGED` of that language's ordinary (`none`) messages urgent, and at most as many of its
concern messages: "I can't sleep" shares words with "I can't go on", and a crisis answer to a sleepless
person is a wrong answer too.

Keep one blind round out of the training files, to measure the trained model on.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from brug.bot.signals.evaluation import Example, read_examples
from brug.bot.signals.lexicon import LANGUAGES
from brug.bot.signals.model import BUCKETS, MODEL_FILE, ngrams, save_model, tfidf
from brug.bot.signals.normalise import normalise

FLAGGED = 0.05
C = 3.0
_ROOT = Path(__file__).resolve().parents[3]
_SIGNALS = _ROOT / "tests" / "bot" / "signals"
# Every blind round but the newest, which stays out to measure the model on.
TRAINED_ROUNDS = (
    "2026-11-29-round4",
    "2026-11-29-round5",
    "2026-11-29-round6",
    "2026-11-29-round7",
    "2026-11-30-round8",
    "2026-11-30-round9",
    "2026-11-30-round10",
    "2026-11-30-round11",
)
DEFAULT_FILES = (
    _ROOT.parent / "shared" / "signals" / "dev.jsonl",
    _SIGNALS / "heldout.jsonl",
    _SIGNALS / "ordinary.jsonl",
    *(_SIGNALS / "blind" / f"{name}.jsonl" for name in TRAINED_ROUNDS),
    *sorted((_SIGNALS / "training").glob("*.jsonl")),
)


def features(texts: Sequence[str], idf: list[list[float]] | None = None) -> tuple[Any, list[list[float]]]:
    """The TF-IDF matrix of `texts` (2 × BUCKETS columns), and the idf used: learnt from `texts` unless
    given."""
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped]

    counted = [ngrams(normalise(text)) for text in texts]
    if idf is None:
        idf = [_idf([counts[block] for counts in counted]) for block in range(2)]
    rows, cols, values = [], [], []
    for row, counts in enumerate(counted):
        for block, block_counts in enumerate(counts):
            for bucket, weight in tfidf(block_counts, idf[block]).items():
                rows.append(row)
                cols.append(block * BUCKETS + bucket)
                values.append(weight)
    return csr_matrix((values, (rows, cols)), shape=(len(texts), 2 * BUCKETS)), idf


def _idf(documents: list[Any]) -> list[float]:
    frequency = [0] * BUCKETS
    for counts in documents:
        for bucket in counts:
            frequency[bucket] += 1
    n = len(documents)
    return [math.log((1 + n) / (1 + df)) + 1 if df else 0.0 for df in frequency]


def fit(examples: Sequence[Example]) -> tuple[Any, list[list[float]]]:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    matrix, idf = features([e.text for e in examples])
    labels = [e.severity == "urgent" for e in examples]
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=2000)
    return model.fit(matrix, labels), idf


def held_out_scores(sources: dict[str, list[Example]]) -> list[tuple[Example, float]]:
    """Each source's examples scored by a model trained on all the other sources."""
    scored: list[tuple[Example, float]] = []
    for name, examples in sources.items():
        rest = [e for other, group in sources.items() if other != name for e in group]
        model, idf = fit(rest)
        matrix, _ = features([e.text for e in examples], idf)
        scored += zip(examples, model.decision_function(matrix).tolist(), strict=True)
    return scored


def thresholds(scored: Sequence[tuple[Example, float]], share: float = FLAGGED) -> dict[str, float]:
    """Per language, the lowest score that flags at most `share` of its `none` and of its concern messages."""
    return {
        language: max(
            _limit([s for e, s in scored if e.language == language and e.severity == severity], share)
            for severity in ("none", "concern")
        )
        for language in LANGUAGES
    }


def _limit(scores: list[float], share: float) -> float:
    """The lowest threshold that at most `share` of `scores` reach."""
    ranked = sorted(scores, reverse=True)
    allowed = math.floor(share * len(ranked))
    return ranked[allowed] + 1e-6 if allowed < len(ranked) else -math.inf


def train(files: Sequence[Path], out: Path) -> dict[str, object]:
    sources = {path.name: read_examples(path) for path in files}
    limits = thresholds(held_out_scores(sources))
    everything = [e for group in sources.values() for e in group]
    model, idf = fit(everything)
    coef = model.coef_[0].tolist()
    header: dict[str, object] = {
        "thresholds": limits,
        "trained_on": {name: len(group) for name, group in sources.items()},
        "flagged": FLAGGED,
        "C": C,
    }
    save_model(out, idf, [coef[:BUCKETS], coef[BUCKETS:]], float(model.intercept_[0]), header)
    return header


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train the crisis model from labelled JSONL files.")
    parser.add_argument("files", nargs="*", type=Path, default=list(DEFAULT_FILES))
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name(MODEL_FILE))
    args = parser.parse_args(argv)
    header = train(args.files, args.out)
    print(f"wrote {args.out}: thresholds {header['thresholds']}, trained on {header['trained_on']}")


if __name__ == "__main__":
    main()
