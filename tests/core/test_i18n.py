"""The catalogs: every msgid translated in every language, nothing fuzzy, placeholders intact, and the
template in step with the code (a changed msgid would otherwise silently fall back to English)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from brug.core.i18n import LOCALES, po_file, translations
from brug.core.languages import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{[a-z_]*\}|%\([a-z_]+\)[sd]|/[a-z_]+\b|\b11[23]\b|0800-0113")


def _catalog(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


@pytest.fixture(scope="module")
def template() -> Catalog:
    return _catalog(Path(str(LOCALES / "messages.pot")))


def test_template_is_in_step_with_the_code(tmp_path: Path, template: Catalog) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg",
         "-k", "N_", "-k", "NP_:1,2", "-o", str(fresh), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    extracted = {message.id for message in _catalog(fresh) if message.id}
    committed = {message.id for message in template if message.id}
    assert extracted == committed, "run `make i18n` and translate the new or changed texts"


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_text_is_translated_and_none_is_fuzzy(language: str, template: Catalog) -> None:
    catalog = _catalog(Path(str(po_file(language))), language)
    for source in template:
        if not source.id:
            continue
        message = catalog.get(source.id)
        assert message is not None, f"{language}: missing {source.id!r}"
        assert "fuzzy" not in message.flags, f"{language}: fuzzy {source.id!r}"
        if isinstance(source.id, tuple):
            forms, name = message.string, source.id[0]
            assert isinstance(forms, tuple) and len(forms) == catalog.num_plurals and all(forms), name
            assert any("%(" in form for form in forms), f"{language}: the number is missing in {name!r}"
            continue
        assert isinstance(message.string, str) and isinstance(source.id, str)
        assert message.string, f"{language}: untranslated {source.id!r}"
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(source.id)), (
            f"{language}: commands, numbers or placeholders differ in {source.id!r}"
        )


@pytest.mark.parametrize("language", [language for language in LANGUAGES if language != "en"])
def test_translations_are_marked_until_a_native_speaker_reviewed_them(language: str) -> None:
    header = Path(str(po_file(language))).read_text(encoding="utf-8").split('msgid ""', 1)[0]
    assert "NOT YET REVIEWED BY A NATIVE SPEAKER" in header


def test_arabic_has_six_plural_forms() -> None:
    assert _catalog(Path(str(po_file("ar"))), "ar").num_plurals == 6


@pytest.mark.parametrize("language", [language for language in LANGUAGES if language != "en"])
def test_compiled_catalogs_translate(language: str) -> None:
    text = "Choose your language:"
    assert translations(language).gettext(text) != text
