"""The Babel extractor: every text a user can see in a flow or a fact reaches the template."""

import shutil
import subprocess
import sys
from io import BytesIO
from pathlib import Path

from babel.messages.pofile import read_po

from brug.core.flows import load_flows
from brug.core.flows.check import msgids
from brug.core.flows.extract import extract

ROOT = Path(__file__).resolve().parents[2]
VALID = Path(__file__).parent / "flows_fixtures" / "valid"


def extracted(name: str) -> list[tuple[int, str | None, str, list[str]]]:
    with (VALID / name).open("rb") as handle:
        return list(extract(handle, ["N_"], [], {}))


def test_a_flow_file_yields_say_texts_and_labels_with_line_numbers() -> None:
    assert [(line, text) for line, _, text, _ in extracted("waiting.yaml")] == [
        (7, "What do you want to know about the waiting time?"),
        (8, "You came here alone. What do you want to know?"),
        (11, "My dates"),
        (13, "Main menu"),
        (16, "On which date did you get your permit?"),
        (19, "You got your permit on {permit_date}. Apply before {apply_until}."),
        (23, "Back"),
        (25, "Main menu"),
    ]
    assert all(funcname is None and comments == [] for _, funcname, _, comments in extracted("waiting.yaml"))


def test_facts_come_with_their_source_for_translators() -> None:
    assert extracted("facts.yaml") == [
        (
            3,
            None,
            "By law the IND has 3 months to decide, and may add 3 months.",
            ["Fact: source https://ind.nl/nl/over-ons/achtergrondartikelen/nareis checked 2026-11-29"],
        ),
        (
            8,
            None,
            "You must apply within 3 months after the day you got your permit.",
            ["Fact: source https://ind.nl/nl/over-ons/achtergrondartikelen/nareis checked 2026-10-01"],
        ),
    ]


def test_the_extractor_finds_what_the_check_looks_up() -> None:
    found = {
        text for name in ("main.yaml", "waiting.yaml", "facts.yaml") for _, _, text, _ in extracted(name)
    }
    assert found == set(msgids(load_flows(VALID)))


def test_escapes_and_block_scalars_are_read_as_yaml_reads_them() -> None:
    source = b"flow: x\nnodes:\n  a:\n    say: |\n      Line one\n      Line two\n"
    source += b'    buttons:\n      - label: "A\\tB"\n'
    assert [(line, text) for line, _, text, _ in extract(BytesIO(source), [], [], {})] == [
        (4, "Line one\nLine two\n"),
        (8, "A\tB"),
    ]


def test_pybabel_extract_with_our_babel_cfg_reaches_the_flow_texts(tmp_path: Path) -> None:
    """The entry point is registered and babel.cfg maps brug/flows/*.yaml to it."""
    shutil.copytree(VALID, tmp_path / "brug" / "flows")
    output = tmp_path / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "extract", "-F", str(ROOT / "babel.cfg"),
         "-k", "N_", "-o", str(output), "."],
        cwd=tmp_path, check=True, capture_output=True,
    )  # fmt: skip
    with output.open("rb") as handle:
        catalog = read_po(handle)
    fact = catalog.get("You must apply within 3 months after the day you got your permit.")
    assert fact is not None and ("brug/flows/facts.yaml", 8) in fact.locations
    assert [" ".join(fact.auto_comments)] == [  # pybabel wraps long comments
        "Fact: source https://ind.nl/nl/over-ons/achtergrondartikelen/nareis checked 2026-10-01"
    ]
    back = catalog.get("Main menu")
    assert back is not None and {("brug/flows/waiting.yaml", 13), ("brug/flows/waiting.yaml", 25)} <= set(
        back.locations
    )
    assert {message.id for message in catalog if message.id} == set(msgids(load_flows(VALID)))
