"""Lexicon files: validation that fails loudly with the file name, and the pattern syntax they use."""

from __future__ import annotations

from pathlib import Path

import pytest

from brug.bot.signals.lexicon import LexiconError, expand, load_lexicons
from brug.bot.signals.matcher import Matcher
from brug.bot.signals.normalise import normalise


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def _matcher(tmp_path: Path, categories: str, exceptions: str = "") -> Matcher:
    _write(tmp_path, "en.yaml", f"language: en\ncategories:\n{categories}\n{exceptions}")
    return Matcher(load_lexicons(tmp_path))


def _categories(matcher: Matcher, text: str) -> set[str]:
    normalised = normalise(text)
    found = {match.category for match in matcher.find(normalised)}
    assert {category for _, category in matcher.kinds(normalised)} == found
    return found


def test_the_packaged_lexicons_load_and_cover_every_language() -> None:
    lexicons = load_lexicons()
    assert {lexicon.language for lexicon in lexicons} == {"ti", "ar", "fa_AF", "nl", "en"}
    assert all(lexicon.patterns for lexicon in lexicons)


def test_malformed_yaml_fails_with_the_file_name(tmp_path: Path) -> None:
    _write(tmp_path, "nl.yaml", "language: nl\ncategories: [unclosed\n")
    with pytest.raises(LexiconError, match=r"^nl\.yaml: not valid YAML"):
        load_lexicons(tmp_path)


def test_an_unknown_category_fails_with_the_file_name(tmp_path: Path) -> None:
    _write(tmp_path, "ar.yaml", "language: ar\ncategories:\n  sadness: [حزين]\n")
    with pytest.raises(LexiconError, match=r"^ar\.yaml: .*unknown category 'sadness'"):
        load_lexicons(tmp_path)


def test_an_unknown_category_under_exceptions_fails_too(tmp_path: Path) -> None:
    _write(tmp_path, "en.yaml", "language: en\nexceptions:\n  sadness: [fine]\n")
    with pytest.raises(LexiconError, match=r"^en\.yaml: .*unknown category 'sadness'"):
        load_lexicons(tmp_path)


def test_an_unknown_language_fails(tmp_path: Path) -> None:
    _write(tmp_path, "de.yaml", "language: de\n")
    with pytest.raises(LexiconError, match=r"^de\.yaml: .*unknown language 'de'"):
        load_lexicons(tmp_path)


def test_unexpected_keys_and_non_text_entries_fail(tmp_path: Path) -> None:
    _write(tmp_path, "en.yaml", "language: en\nwords: [a]\n")
    with pytest.raises(LexiconError, match=r"^en\.yaml: words"):
        load_lexicons(tmp_path)
    _write(tmp_path, "en.yaml", "language: en\ncategories:\n  crisis: [no]\n")  # YAML reads `no` as false
    with pytest.raises(LexiconError, match=r"^en\.yaml: categories\.crisis"):
        load_lexicons(tmp_path)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("'ki*ll myself'", "only at the start or end of a word"),
        ("'(want|wish to die'", "unbalanced"),
        ("'{nothing} to live for'", "unknown term"),
        ("'want .. '", "'..' and '...' need a space and words on both sides"),
        ("'pills ... '", "'..' and '...' need a space and words on both sides"),
        ("'pills .... tonight'", "'..' and '...' need a space and words on both sides"),
        ("'!!!'", "nothing left after normalisation"),
        ("'x*'", "at least two letters"),
    ],
)
def test_malformed_patterns_fail_with_file_category_and_reason(
    tmp_path: Path, entry: str, reason: str
) -> None:
    _write(tmp_path, "en.yaml", f"language: en\ncategories:\n  crisis: [{entry}]\n")
    with pytest.raises(LexiconError, match=rf"^en\.yaml: crisis: .*{reason}"):
        load_lexicons(tmp_path)


def test_an_empty_folder_fails(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="no lexicon files"):
        load_lexicons(tmp_path)


def test_alternatives_expand_in_order_and_may_be_optional() -> None:
    assert expand("(a|b) x (c|)") == ["a x c", "a x ", "b x c", "b x "]
    assert expand("((a|b) c|d)") == ["a c", "b c", "d"]


def test_words_match_whole_unless_a_wildcard_allows_more(tmp_path: Path) -> None:
    matcher = _matcher(tmp_path, "  health: [tired, 'sleep*', '*ache']")
    assert _categories(matcher, "so tired") == {"health"}
    assert _categories(matcher, "retired now") == set()
    assert _categories(matcher, "sleepless nights") == {"health"}
    assert _categories(matcher, "a headache") == {"health"}


def test_an_inner_wildcard_keeps_the_next_word_adjacent(tmp_path: Path) -> None:
    matcher = _matcher(tmp_path, "  crisis: ['kill* myself']")
    assert _categories(matcher, "killing myself") == {"crisis"}
    assert _categories(matcher, "killed myself") == {"crisis"}
    assert _categories(matcher, "killing time myself") == set()


def test_a_gap_allows_up_to_three_words_in_order(tmp_path: Path) -> None:
    matcher = _matcher(tmp_path, "  crisis: ['want .. die']")
    assert _categories(matcher, "i want to die") == {"crisis"}
    assert _categories(matcher, "i want so much to die") == {"crisis"}
    assert _categories(matcher, "i want to go and see him die") == set()
    assert _categories(matcher, "die, i want") == set()


def test_a_chain_of_gaps_tries_every_candidate_not_only_the_nearest(tmp_path: Path) -> None:
    matcher = _matcher(tmp_path, "  crisis: ['a .. b .. c']")
    assert _categories(matcher, "a b x b x x x c") == {"crisis"}, "through the second b"
    assert _categories(matcher, "a b x x x x b c") == set(), "no b within three words of both"


def test_a_short_alternative_does_not_hide_a_longer_one_the_next_slot_needs(tmp_path: Path) -> None:
    many = "|".join(f"w{n}" for n in range(200))  # enough alternatives to split the slot into adjacent parts
    matcher = _matcher(tmp_path, f"  crisis: ['kay .. (ma ra|ma) (mebari|{many})']")
    assert _categories(matcher, "kay ma ra mebari") == {"crisis"}
    assert _categories(matcher, "kay ma mebari") == {"crisis"}
    assert _categories(matcher, "kay ma ra w7") == {"crisis"}


def test_a_far_gap_allows_any_distance_in_order_within_the_message(tmp_path: Path) -> None:
    matcher = _matcher(tmp_path, "  crisis: ['(pills|rope) ... tonight .. (end|goodbye)']")
    assert _categories(matcher, "i have the pills. it is all too much, so tonight i end it") == {"crisis"}
    assert _categories(matcher, "rope in my room, tonight goodbye") == {"crisis"}
    assert _categories(matcher, "tonight i end it, i have pills") == set()
    assert _categories(matcher, "pills for my head; tonight i go to sleep early and end the day") == set()


def test_terms_stand_for_their_list(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "en.yaml",
        "language: en\nterms:\n  pay: [pay, afford]\ncategories:\n  financial: ['cant {pay}']\n",
    )
    matcher = Matcher(load_lexicons(tmp_path))
    assert _categories(matcher, "i cant afford it") == {"financial"}


def test_an_exception_cancels_only_overlapping_matches_of_its_category(tmp_path: Path) -> None:
    matcher = _matcher(
        tmp_path,
        "  crisis: [dying]\n  health: [hunger]",
        "exceptions:\n  crisis: ['dying of hunger']",
    )
    assert _categories(matcher, "dying of hunger") == {"health"}
    assert _categories(matcher, "dying of hunger, i am dying") == {"crisis", "health"}


def test_ask_cues_are_patterns_of_their_own_with_their_own_exceptions(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "en.yaml",
        "language: en\nterms:\n  bye: [goodbye everyone, farewell]\ncategories:\n  crisis: [end my life]\n"
        "ask: ['{bye}']\nexceptions:\n  ask: ['farewell party']\n",
    )
    matcher = Matcher(load_lexicons(tmp_path))
    assert _categories(matcher, "goodbye everyone") == {"ask"}
    assert _categories(matcher, "the farewell party is on friday") == set()
    assert _categories(matcher, "farewell, i will end my life") == {"ask", "crisis"}


def test_ask_is_not_a_category_a_lexicon_may_list(tmp_path: Path) -> None:
    _write(tmp_path, "en.yaml", "language: en\ncategories:\n  ask: [goodbye]\n")
    with pytest.raises(LexiconError, match=r"en\.yaml: categories: .*unknown category 'ask'"):
        load_lexicons(tmp_path)
