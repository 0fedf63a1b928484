"""Gettext catalogs for the five languages, compiled in memory from the `.po` files at first use.

No `.mo` files are kept anywhere: a fresh clone, an editable install and a wheel all read the same
`.po` files. Fuzzy entries are not compiled (they fall back to the English msgid); the catalog check
in the tests makes sure none are left.
"""

from __future__ import annotations

import gettext
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from io import BytesIO

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from brug.core.languages import LANGUAGES

LOCALES = files("brug") / "locales"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here (it is translated where it is shown)."""
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular/plural pair for extraction as one plural entry; translate with `ngettext(*pair, n)`."""
    return singular, plural


def po_file(language: str) -> Traversable:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of one of our languages; unknown languages get the English msgids."""
    source = po_file(language)
    if language not in LANGUAGES or not source.is_file():
        return gettext.NullTranslations()
    with source.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
