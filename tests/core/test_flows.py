"""Flows as data: the loader refuses what cannot run, `check` finds what should not run, the CLI reports both.

Every broken case starts from the valid fixture in `flows_fixtures/valid` and changes one thing.
"""

import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import MappingProxyType

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from brug.core.flows import FIELDS, RENDERERS, Button, FlowError, FlowSet, check, load_facts, load_flows
from brug.core.flows.check import msgids, placeholders
from brug.core.languages import LANGUAGES

VALID = Path(__file__).parent / "flows_fixtures" / "valid"


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(VALID, tmp_path / "flows"))


def edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {file.name}"
    file.write_text(text.replace(old, new), encoding="utf-8")


def write_catalogs(
    root: Path, flows: FlowSet, languages: list[str] | None = None, extra: dict[str, str] | None = None
) -> Path:
    """A catalog per language that "translates" every flow msgid as itself (placeholders intact)."""
    for language in languages or list(LANGUAGES):
        catalog = Catalog(locale=language, domain="messages")
        for msgid in [*msgids(flows), *(extra or {})]:
            catalog.add(msgid, (extra or {}).get(msgid, msgid))
        write_po_file(root, language, catalog)
    return root


def write_po_file(root: Path, language: str, catalog: Catalog) -> None:
    target = root / language / "LC_MESSAGES" / "messages.po"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as handle:
        write_po(handle, catalog)


def problems_in(directory: Path, locales: Path | None = None) -> list[str]:
    """What `brug flows check` reports: the loader's problems, else `check`'s."""
    try:
        flows = load_flows(directory)
    except FlowError as error:
        return list(error.problems)
    return check(flows, locales=locales or write_catalogs(directory.parent / "locales", flows))


def only_problem(problems: list[str], *parts: str) -> str:
    assert len(problems) == 1, problems
    (problem,) = problems
    for part in parts:
        assert part in problem, problem
    return problem


# --- loading ----------------------------------------------------------------------------------------------


def test_the_valid_fixture_loads_with_targets_resolved() -> None:
    flows = load_flows(VALID)
    assert sorted(flows.flows) == ["main", "waiting"]
    assert sorted(flows.facts) == ["apply_within_3_months", "decision_term"]
    menu = flows.node("main.menu")
    assert flows.node("main") is menu and menu.ref == "main.menu"
    assert [button.goto for button in menu.buttons] == ["waiting.menu", "main.who", None, None]
    assert menu.buttons[2].action == "request_person"
    assert menu.buttons[3].url == "https://www.vluchtelingenwerk.nl"
    assert dict(flows.node("main.who").buttons[0].set) == {"role": "young_person"}
    assert flows.node("main.who").buttons[0].goto == "main.menu"
    assert dict(flows.node("main.who").buttons[1].set) == {}
    waiting = flows.node("waiting")
    assert waiting.facts == ("apply_within_3_months",)
    assert waiting.buttons[0].goto == "waiting.ask_permit"
    assert waiting.text_for("young_person") == "You came here alone. What do you want to know?"
    assert waiting.text_for("referent") == waiting.text_for(None) == waiting.say["default"]
    picker = flows.node("waiting.ask_permit")
    assert picker.ask_date is not None and picker.buttons == ()
    assert (picker.ask_date.store, picker.ask_date.next, picker.ask_date.min_years_back) == (
        "permit_date",
        "waiting.result",
        10,
    )
    assert flows.node("waiting.result").render == "timeline"
    fact = flows.facts["apply_within_3_months"]
    assert (fact.checked, fact.status, fact.note) == (
        date(2026, 10, 1),
        "contested",
        "IND still says 3 months.",
    )
    with pytest.raises(KeyError):
        flows.node("waiting.nowhere")
    with pytest.raises(KeyError):
        flows.node("nowhere")
    with pytest.raises(TypeError):
        menu.say["default"] = "changed"  # type: ignore[index]


def test_a_message_is_say_then_each_fact_as_a_paragraph() -> None:
    flows = load_flows(VALID)
    result = flows.node("waiting.result")
    values = RENDERERS["timeline"]({"permit_date": "2026-01-15"}, date(2026, 2, 1), "en")
    assert flows.message(result, None, str, values) == (
        "You got your permit on January 15, 2026. Apply before April 15, 2026.\n\n"
        "By law the IND has 3 months to decide, and may add 3 months."
    )
    dutch = flows.message(result, "young_person", lambda text: text.replace("You got", "Je kreeg"), values)
    assert dutch.startswith("Je kreeg your permit on January 15, 2026.")
    broken = flows.message(result, None, lambda msgid: "{oops}" if "{" in msgid else msgid, values)
    assert broken.startswith("You got your permit on January 15, 2026."), "falls back to the msgid"


@pytest.mark.parametrize(
    ("file", "old", "new", "parts"),
    [
        ("waiting.yaml", "goto: ask_permit", "goto: nowhere", ["waiting.yaml", "node menu", "'nowhere'"]),
        (
            "waiting.yaml",
            "next: result",
            "next: main.nowhere",
            ["waiting.yaml", "node ask_permit", "main.nowhere"],
        ),
        (
            "waiting.yaml",
            "facts: [decision_term]",
            "facts: [decision_time]",
            ["node result", "'decision_time'"],
        ),
        (
            "main.yaml",
            '    say: "So I can help you better: who are you?"\n',
            '    say: "So I can help you better: who are you?"\n    say: "Again"\n',
            ["main.yaml", "node who", "duplicate key 'say'"],
        ),
        ("main.yaml", "  who:\n", "  menu:\n", ["main.yaml", "node menu", "duplicate key 'menu'"]),
        (
            "main.yaml",
            '    say: "What would',
            '    colour: red\n    say: "What would',
            ["node menu", "'colour'"],
        ),
        (
            "waiting.yaml",
            '      - label: "Back"\n        goto: menu\n',
            '      - label: "Back"\n        goto: menu\n' + '      - label: "More"\n        goto: menu\n' * 5,
            ["waiting.yaml", "node result", "at most 6 buttons"],
        ),
        (
            "main.yaml",
            "        goto: who\n",
            '        goto: who\n        url: "https://example.org"\n',
            ["main.yaml", "node menu", "button 2", "exactly one of goto, action, url"],
        ),
        (
            "main.yaml",
            "        set: {role: young_person}\n        goto: menu\n",
            "        set: {role: young_person}\n",
            ["node who", "button 1", "exactly one"],
        ),
        (
            "waiting.yaml",
            'young_person: "You came',
            'pilot: "You came',
            ["node menu", "say", "unknown field 'pilot'"],
        ),
        ("waiting.yaml", "flow: waiting", "flow: wait", ["waiting.yaml", "wait.yaml"]),
        ("waiting.yaml", "start: menu", "start: begin", ["waiting.yaml", "start 'begin'"]),
        (
            "facts.yaml",
            "    status: settled\n",
            "    status: maybe\n",
            ["facts.yaml", "fact decision_term", "status"],
        ),
        (
            "facts.yaml",
            '"https://ind.nl/nl/over-ons/achtergrondartikelen/nareis"\n    checked: 2026-11-29',
            '"ind.nl"\n    checked: 2026-11-29',
            ["facts.yaml", "fact decision_term", "not an http(s) URL"],
        ),
        (
            "facts.yaml",
            "    checked: 2026-10-01\n",
            "    checked: 2026-10-01\n    checked: 2026-10-02\n",
            ["facts.yaml", "fact apply_within_3_months", "duplicate key 'checked'"],
        ),
        (
            "main.yaml",
            '    buttons:\n      - label: "I came',
            '    ask_date: {store: permit_date, next: menu}\n    buttons:\n      - label: "I came',
            ["node who", "ask_date has no buttons"],
        ),
    ],
)
def test_the_loader_refuses_with_file_and_node(
    flows_dir: Path, file: str, old: str, new: str, parts: list[str]
) -> None:
    edit(flows_dir / file, old, new)
    with pytest.raises(FlowError) as raised:
        load_flows(flows_dir)
    assert any(all(part in problem for part in parts) for problem in raised.value.problems), (
        raised.value.problems
    )


def test_the_loader_reports_every_problem_at_once(flows_dir: Path) -> None:
    edit(flows_dir / "waiting.yaml", "goto: ask_permit", "goto: nowhere")
    edit(flows_dir / "main.yaml", "goto: who", "goto: whom")
    with pytest.raises(FlowError) as raised:
        load_flows(flows_dir)
    assert len(raised.value.problems) == 2
    assert str(raised.value) == "\n".join(raised.value.problems)


def test_a_bare_target_is_a_local_node_first_then_a_flow(flows_dir: Path) -> None:
    edit(flows_dir / "main.yaml", "goto: who", "goto: waiting")
    flows = load_flows(flows_dir)
    assert flows.node("main.menu").buttons[1].goto == "waiting.menu"
    edit(flows_dir / "main.yaml", "  who:\n", "  waiting:\n")
    assert load_flows(flows_dir).node("main.menu").buttons[1].goto == "main.waiting"


def test_the_default_directory_is_loaded_once() -> None:
    try:
        first = load_flows()
    except FlowError:
        pytest.skip("the packaged flows do not load (see `brug flows check`)")
    assert load_flows() is first


def test_load_facts_reads_only_the_facts(flows_dir: Path) -> None:
    edit(flows_dir / "main.yaml", "goto: who", "goto: whom")
    assert sorted(load_facts(flows_dir)) == ["apply_within_3_months", "decision_term"]
    (flows_dir / "facts.yaml").unlink()
    with pytest.raises(FlowError, match=r"facts\.yaml: no such file"):
        load_facts(flows_dir)


# --- check ------------------------------------------------------------------------------------------------


def test_the_valid_fixture_has_no_problems(flows_dir: Path) -> None:
    assert problems_in(flows_dir) == []


@pytest.mark.parametrize(
    ("file", "old", "new", "parts"),
    [
        # Refused by the loader already (`brug flows check` reports them the same way).
        (
            "waiting.yaml",
            "goto: ask_permit",
            "goto: nowhere",
            ["waiting.yaml", "node menu", "unknown target"],
        ),
        ("waiting.yaml", "[apply_within_3_months]", "[apply_within_6_months]", ["node menu", "unknown fact"]),
        ("main.yaml", "  who:\n", "  menu:\n", ["main.yaml", "duplicate key 'menu'"]),
        (
            "main.yaml",
            '    say: "What would',
            '    colour: red\n    say: "What would',
            ["unknown field 'colour'"],
        ),
        # Found by check.
        (
            "waiting.yaml",
            "render: timeline",
            "render: calendar",
            ["waiting.result", "unknown renderer 'calendar'"],
        ),
        (
            "main.yaml",
            "action: request_person",
            "action: dance",
            ["main.menu", "button 3", "unknown action 'dance'"],
        ),
        ("main.yaml", "{role: young_person}", "{role: astronaut}", ["main.who", "button 1", "'astronaut'"]),
        ("main.yaml", "{role: young_person}", "{phase: asleep}", ["main.who", "button 1", "'asleep'"]),
        ("waiting.yaml", "store: permit_date", "store: birthday", ["waiting.ask_permit", "'birthday'"]),
        (
            "waiting.yaml",
            "  ask_permit:\n",
            '  orphan:\n    say: "Nobody comes here"\n    buttons:\n'
            '      - label: "Home"\n        goto: main.menu\n'
            "  ask_permit:\n",
            ["waiting.orphan", "unreachable from main.menu"],
        ),
        (
            "waiting.yaml",
            "        goto: main.menu\n  ask_permit:\n",
            '        goto: main.menu\n      - label: "End"\n        goto: end\n'
            '  end:\n    say: "The end"\n  ask_permit:\n',
            ["waiting.end", "dead end"],
        ),
        (
            "waiting.yaml",
            "        goto: main.menu\n  ask_permit:\n",
            '        goto: main.menu\n      - label: "Loop"\n        goto: loop\n'
            '  loop:\n    say: "Round and round"\n    buttons:\n'
            '      - label: "Again"\n        goto: loop\n'
            "  ask_permit:\n",
            ["waiting.loop", "main.menu cannot be reached from here"],
        ),
        (
            "main.yaml",
            "        goto: who\n",
            "        goto: who\n"
            '      - label: "A label much longer than thirty letters"\n        goto: who\n',
            ["main.menu", "button 3", "39 characters in English"],
        ),
        ("main.yaml", 'know?"', 'know, {name}?"', ["main.menu", "{name}", "no renderer"]),
        (
            "waiting.yaml",
            "Apply before {apply_until}",
            "Apply before {deadline}",
            ["waiting.result", "{deadline}"],
        ),
        ("waiting.yaml", "Apply before {apply_until}", "Apply before {0}", ["waiting.result", "{0}"]),
        (
            "waiting.yaml",
            "Apply before {apply_until}.",
            "Apply before {apply_until",
            ["waiting.result", "before end of string"],
        ),
        ("facts.yaml", "to decide, and", "to decide {soon}, and", ["fact decision_term", "placeholders"]),
        (
            "waiting.yaml",
            '    say: "You got your permit on {permit_date}.',
            '    say: "' + "A" * 4000 + " You got your permit on {permit_date}.",
            ["waiting.result", "message has 4", "max 4096"],
        ),
    ],
)
def test_check_reports_each_kind_of_problem(
    flows_dir: Path, file: str, old: str, new: str, parts: list[str]
) -> None:
    edit(flows_dir / file, old, new)
    problems = problems_in(flows_dir)
    if any("message has" in part for part in parts):  # one message per language
        assert len(problems) == len(LANGUAGES) and all(
            all(p in problem for p in parts) for problem in problems
        )
        return
    only_problem(problems, *parts)


def test_check_reports_a_long_message_only_after_the_long_placeholder_values(flows_dir: Path) -> None:
    # 4060 + len("{permit_date}") = 4073 characters as written, 4060 + 40 = 4100 once rendered.
    edit(flows_dir / "waiting.yaml", "render: timeline\n    facts: [decision_term]\n", "render: timeline\n")
    edit(
        flows_dir / "waiting.yaml",
        "You got your permit on {permit_date}. Apply before {apply_until}.",
        "A" * 4060 + "{permit_date}",
    )
    problems = problems_in(flows_dir)
    assert problems and all("waiting.result: message has 4100 characters" in problem for problem in problems)


def test_check_works_on_hand_built_flows_too() -> None:
    """The loader cannot produce these (ids are short, targets resolved), but `check` does not rely on it."""
    flows = load_flows(VALID)
    menu = flows.node("main.menu")
    long_id = "n" * 60
    nodes = dict(flows.flows["main"].nodes)
    nodes[long_id] = replace(menu, id=long_id)
    nodes["menu"] = replace(
        menu,
        buttons=(
            *menu.buttons,
            Button(label="Gone", goto="main.gone"),
            *[Button("x", action="main_menu")] * 3,
        ),
    )
    main = replace(flows.flows["main"], nodes=MappingProxyType(nodes))
    problems = check(replace(flows, flows=MappingProxyType({**flows.flows, "main": main})), languages=[])
    assert any("main.menu: 8 buttons (at most 6)" in problem for problem in problems), problems
    assert any("main.menu: button 5 ('Gone'): unknown target 'main.gone'" in problem for problem in problems)
    assert any(f"main.{long_id}: button 1" in p and "callback data" in p for p in problems), problems
    assert not any(f"main.{long_id}: button 4" in problem for problem in problems), "url buttons have no data"
    no_root = replace(flows, flows=MappingProxyType({"waiting": flows.flows["waiting"]}))
    assert any(problem.startswith("main.menu: missing") for problem in check(no_root, languages=[]))


def test_the_date_picker_callback_data_is_checked() -> None:
    flows = load_flows(VALID)
    picker = flows.node("waiting.ask_permit")
    long_id = "p" * 50
    waiting = flows.flows["waiting"]
    nodes = {**waiting.nodes, long_id: replace(picker, id=long_id)}
    menu = flows.node("waiting.menu")
    nodes["menu"] = replace(menu, buttons=(*menu.buttons, Button("Long", goto=f"waiting.{long_id}")))
    changed = replace(
        flows, flows=MappingProxyType({**flows.flows, "waiting": replace(waiting, nodes=nodes)})
    )
    problems = check(changed, languages=[])
    assert any(f"waiting.{long_id}: date picker callback data" in problem for problem in problems), problems


# --- catalogs ---------------------------------------------------------------------------------------------


def test_a_missing_translation_is_reported_except_in_english(flows_dir: Path, tmp_path: Path) -> None:
    flows = load_flows(flows_dir)
    locales = write_catalogs(tmp_path / "locales", flows)
    for language in ("nl", "en"):
        catalog = Catalog(locale=language, domain="messages")
        for msgid in msgids(flows):
            if msgid != "My dates":
                catalog.add(msgid, msgid)
        write_po_file(locales, language, catalog)
    only_problem(check(flows, locales=locales), "nl: 'My dates' (in waiting.menu): missing translation")


def test_an_empty_translation_and_a_missing_catalog_are_reported(flows_dir: Path, tmp_path: Path) -> None:
    flows = load_flows(flows_dir)
    locales = write_catalogs(tmp_path / "locales", flows, languages=["ti", "ar", "nl", "en"])
    catalog = Catalog(locale="ar", domain="messages")
    for msgid in msgids(flows):
        catalog.add(msgid, "" if msgid.startswith("By law") else msgid)
    write_po_file(locales, "ar", catalog)
    problems = check(flows, locales=locales)
    assert len(problems) == 2, problems
    assert (
        problems[0].startswith("ar: 'By law the IND")
        and "(in fact decision_term): missing translation" in problems[0]
    )
    assert problems[1].startswith("fa_AF: no catalog at ")


def test_a_fuzzy_translation_is_reported(flows_dir: Path, tmp_path: Path) -> None:
    flows = load_flows(flows_dir)
    locales = write_catalogs(tmp_path / "locales", flows)
    catalog = Catalog(locale="ti", domain="messages")
    for msgid in msgids(flows):
        catalog.add(msgid, msgid, flags=["fuzzy"] if msgid == "Back" else [])
    write_po_file(locales, "ti", catalog)
    only_problem(check(flows, locales=locales), "ti: 'Back' (in main.who, waiting.result)", "fuzzy")


def test_a_long_translated_label_is_reported(flows_dir: Path, tmp_path: Path) -> None:
    flows = load_flows(flows_dir)
    long_label = "Mijn belangrijke datums en termijnen bij de IND"  # 47 characters
    translations = {msgid: msgid for msgid in msgids(flows)} | {"My dates": long_label}
    locales = write_catalogs(tmp_path / "locales", flows, extra=translations)
    problems = check(flows, locales=locales)
    assert len(problems) == len(LANGUAGES), problems
    assert any(
        problem.startswith("nl: 'My dates'") and "47 characters (at most 40)" in problem
        for problem in problems
    )
    assert any(problem.startswith("en: 'My dates'") and "(at most 30)" in problem for problem in problems)


def test_placeholders_must_match_in_every_entry_of_the_catalog(flows_dir: Path, tmp_path: Path) -> None:
    flows = load_flows(flows_dir)
    locales = write_catalogs(tmp_path / "locales", flows, languages=["ti", "ar", "fa_AF", "en"])
    catalog = Catalog(locale="nl", domain="messages")
    for msgid in msgids(flows):
        catalog.add(msgid, msgid.replace("{apply_until}", "{uiterlijk}"))
    catalog.add("{name} from our team:", "{naam} van ons team:")  # not a flow text: checked all the same
    catalog.add(("One day", "%(days)d days"), ("Een dag", "%(days)d dagen"))  # a plural may drop the number
    catalog.add(("One week", "%(weeks)d weeks"), ("Een week", "%(dagen)d weken"))
    catalog.add("100% sure {not} {{this}}", "100% zeker {not} {{dit}}")
    write_po_file(locales, "nl", catalog)
    problems = check(flows, locales=locales)
    assert len(problems) == 3, problems
    assert "nl: 'You got your permit on" in problems[0] and "{uiterlijk}" in problems[0]
    assert problems[1] == "nl: '{name} from our team:': placeholders differ: msgid {name}, translation {naam}"
    assert problems[2].startswith("nl: 'One week': placeholders differ")


def test_placeholders_are_format_fields_and_printf_names() -> None:
    assert placeholders("{a} and {b!r} and {c:>4} and %(n)d and {{x}} and 100%") == {
        "{a}",
        "{b}",
        "{c}",
        "%(n)",
    }
    with pytest.raises(ValueError, match="'}'"):
        placeholders("a } b")


def test_every_renderer_names_its_fields() -> None:
    assert set(RENDERERS) == set(FIELDS)
    for name, render in RENDERERS.items():
        assert set(render({}, date(2026, 1, 1), "en")) == FIELDS[name]


# --- CLI --------------------------------------------------------------------------------------------------


def brug(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "brug", *args],
        capture_output=True, text=True, encoding="utf-8", timeout=60, check=False,
    )  # fmt: skip


def test_cli_check_says_ok_or_lists_the_problems(flows_dir: Path, tmp_path: Path) -> None:
    locales = write_catalogs(tmp_path / "locales", load_flows(flows_dir))
    ok = brug("flows", "check", "--dir", str(flows_dir), "--locales", str(locales))
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "2 flows, 5 nodes, 2 facts: OK\n", "")
    edit(flows_dir / "main.yaml", "action: request_person", "action: dance")
    edit(flows_dir / "waiting.yaml", "render: timeline", "render: calendar")
    bad = brug("flows", "check", "--dir", str(flows_dir), "--locales", str(locales))
    assert bad.returncode == 1, bad.stderr
    lines = bad.stdout.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("main.menu: button 3 ('Talk to a person'): unknown action 'dance'")
    assert lines[1].startswith("waiting.result: unknown renderer 'calendar'")
    edit(flows_dir / "main.yaml", "goto: who", "goto: whom")
    broken = brug("flows", "check", "--dir", str(flows_dir))
    assert broken.returncode == 1
    assert broken.stdout.startswith("flows/main.yaml: node menu: button 2: unknown target 'whom'")
    missing = brug("flows", "check", "--dir", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "no such directory" in missing.stdout


def test_cli_facts_lists_one_block_per_fact_oldest_check_first(flows_dir: Path) -> None:
    result = brug("flows", "facts", "--dir", str(flows_dir))
    assert result.returncode == 0, result.stderr
    blocks = result.stdout.rstrip("\n").split("\n\n")
    assert [block.splitlines()[0] for block in blocks] == ["apply_within_3_months", "decision_term"]
    assert blocks[0].splitlines()[1:] == [
        "  status:  contested",
        "  checked: 2026-10-01",
        "  source:  https://ind.nl/nl/over-ons/achtergrondartikelen/nareis",
        "  text:    You must apply within 3 months after the day you got your permit.",
        "  note:    IND still says 3 months.",
    ]
    edit(flows_dir / "facts.yaml", "status: settled", "status: sure")
    broken = brug("flows", "facts", "--dir", str(flows_dir))
    assert broken.returncode == 1 and broken.stdout.startswith("flows/facts.yaml: fact decision_term: status")
