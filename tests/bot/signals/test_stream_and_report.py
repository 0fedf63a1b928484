"""`run_stream` (the `brug signals` lines) and `report` (`brug signals --report`)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from brug.bot.signals import report, run_stream


def test_run_stream_writes_one_json_object_per_message_in_the_agreed_shape() -> None:
    out = io.StringIO()
    count = run_stream(["ik wil dood\n", "\n", "   \n", "dank je wel!\r\n", "بدي موت"], out)
    lines = out.getvalue().splitlines()
    assert count == 3
    assert [json.loads(line) for line in lines] == [
        {"text": "ik wil dood", "language": "nl", "severity": "urgent", "categories": ["crisis"]},
        {"text": "dank je wel!", "language": "nl", "severity": "none", "categories": []},
        {"text": "بدي موت", "language": "ar", "severity": "urgent", "categories": ["crisis"]},
    ]


def test_run_stream_keeps_non_latin_text_readable() -> None:
    out = io.StringIO()
    run_stream(["ክመውት እደሊ"], out)
    assert "ክመውት እደሊ" in out.getvalue()
    assert "\\u" not in out.getvalue()


def test_run_stream_of_nothing_writes_nothing() -> None:
    out = io.StringIO()
    assert run_stream([], out) == 0
    assert out.getvalue() == ""


def _row(key: str, lang: str, text: str, severity: str, *categories: str) -> str:
    fields = {"id": key, "lang": lang, "text": text, "severity": severity, "categories": list(categories)}
    return json.dumps(fields, ensure_ascii=False)


def _labelled(tmp_path: Path) -> Path:
    rows = [
        _row("a", "en", "i want to kill myself", "urgent", "crisis"),
        _row("b", "en", "i cant sleep at night", "concern", "health"),
        _row("c", "en", "where is the office?", "none"),
        _row("d", "en", "nice weather today", "concern", "health"),
        _row("e", "fa-AF", "میخواهم خودم را بکشم", "urgent", "crisis"),
    ]
    path = tmp_path / "labelled.jsonl"
    path.write_text("# a comment line\n" + "\n".join(rows) + "\n\n", encoding="utf-8")
    return path


def test_report_gives_figures_per_language_and_overall(tmp_path: Path) -> None:
    text = report(_labelled(tmp_path))
    lines = text.splitlines()
    en = next(line for line in lines if line.startswith("en "))
    fa = next(line for line in lines if line.startswith("fa_AF "))
    overall = next(line for line in lines if line.startswith("all "))
    assert en.split()[1] == "4"
    assert en.split()[2:5] == ["1.00", "1.00", "1.00"]  # urgent P R F1
    assert en.split()[5:8] == ["1.00", "0.50", "0.67"]  # concern: one of two found
    assert fa.split()[1] == "1"
    assert overall.split()[1] == "5"
    assert "0.00 (0/1)" in en  # false alarms on none


def test_report_names_the_counting_rule_and_lists_disagreements(tmp_path: Path) -> None:
    text = report(_labelled(tmp_path))
    assert "concern counts as found when detected concern or urgent" in text
    assert "Severity disagreements: 1" in text
    assert "nice weather today" in text


def test_report_has_a_category_confusion_table(tmp_path: Path) -> None:
    lines = report(_labelled(tmp_path)).splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Categories"))
    health_row = next(line for line in lines[header:] if line.startswith("health "))
    columns = lines[header + 1].split()
    assert columns[:3] == ["crisis", "hopeless", "health"]
    assert health_row.split()[1:][columns.index("health")] == "1"
    assert health_row.split()[1:][columns.index("(none)")] == "1"


def test_report_rejects_a_line_that_is_not_a_labelled_message(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"lang": "en", "text": "hi"}\n')
    with pytest.raises(ValueError, match=r"bad\.jsonl:1"):
        report(path)


def test_report_rejects_an_unknown_severity(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text(_row("x", "en", "hi", "severe") + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"odd\.jsonl:1: .*severity must be one of"):
        report(path)


def test_report_counts_urgent_messages_the_bot_would_ask_about(tmp_path: Path) -> None:
    rows = [
        _row("a", "en", "i want to kill myself", "urgent", "crisis"),
        _row("b", "en", "ok bye everyone, see you", "urgent", "crisis"),
        _row("c", "en", "the weather is nice", "urgent", "crisis"),
        _row("d", "en", "i feel hopeless, there is no future for me", "concern", "hopelessness"),
        _row("e", "en", "i cant sleep at night", "concern", "health"),
        _row("f", "en", "where is the office?", "none"),
    ]
    path = tmp_path / "asked.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    lines = report(path).splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Asked directly"))
    en = next(line for line in lines[header:] if line.startswith("en "))
    # Found or asked 2 of 3 urgent; asked on 1 of 3 urgent, 1 of 2 concern, 0 of 1 none.
    assert en.split()[1:] == ["0.67", "0.33", "0.50", "0.00"]
