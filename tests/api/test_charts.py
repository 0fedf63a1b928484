from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from jinja2 import Environment
from markupsafe import Markup

from brug.api import charts
from brug.api.charts import PALETTE, bar_chart, grouped_bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"
NUMERIC_ATTRIBUTES = {"x", "y", "width", "height", "cx", "cy", "r", "x1", "y1", "x2", "y2"}
HOSTILE = "<script>alert(1)</script>"
ARABIC = "الأسبوع ١"
DARI = "هفتهٔ دوم"


def parse(svg: Markup) -> ET.Element:
    return ET.fromstring(str(svg))  # noqa: S314 - our own output, not untrusted input


def find(root: ET.Element, tag: str, css_class: str | None = None) -> list[ET.Element]:
    return [e for e in root.iter(SVG + tag) if css_class is None or e.get("class") == css_class]


def texts(root: ET.Element, css_class: str) -> list[str]:
    return [e.text or "" for e in find(root, "text", css_class)]


def num(element: ET.Element, attribute: str) -> float:
    return float(element.attrib[attribute])


def hint(element: ET.Element) -> str:
    title = element.find(SVG + "title")
    assert title is not None
    return title.text or ""


def baseline(root: ET.Element) -> float:
    [axis] = find(root, "line", "axis")
    return num(axis, "y1")


def assert_all_numbers_finite(svg: Markup) -> None:
    assert "nan" not in str(svg).lower()
    assert "inf" not in str(svg).lower()
    root = parse(svg)
    for element in root.iter():
        for name, value in element.attrib.items():
            if name in NUMERIC_ATTRIBUTES:
                assert math.isfinite(float(value)), (element.tag, name, value)
    assert all(math.isfinite(float(part)) for part in root.attrib["viewBox"].split())


# --- the SVG wrapper


def test_chart_is_markup_with_accessible_title() -> None:
    svg = bar_chart([("a", 1)], title="Open cases", width=300, height=150)
    root = parse(svg)

    assert isinstance(svg, Markup)
    assert root.tag == SVG + "svg"
    assert root.get("viewBox") == "0 0 300 150"
    assert root.get("role") == "img"
    title = root.find(SVG + "title")
    assert title is not None
    assert title.text == "Open cases"
    assert root.get("aria-labelledby") == title.get("id")


def test_two_charts_on_one_page_do_not_share_an_id() -> None:
    first = parse(bar_chart([("a", 1)], title="One")).get("aria-labelledby")
    second = parse(line_chart([("a", 1)], title="Two", y_min=0, y_max=2)).get("aria-labelledby")
    assert first != second


def test_jinja_autoescape_leaves_the_chart_as_markup() -> None:
    env = Environment(autoescape=True)
    page = env.from_string("<div>{{ chart }}</div>").render(chart=bar_chart([(HOSTILE, 1)], title=HOSTILE))

    assert page.startswith("<div><svg ")
    assert HOSTILE not in page


def test_no_inline_style_attributes() -> None:
    svgs = [
        bar_chart([("a", 1)], title="t"),
        grouped_bar_chart(["w1"], {"urgent": [1]}, title="t"),
        line_chart([("a", 1), ("b", 2)], title="t", y_min=0, y_max=2),
    ]
    for svg in svgs:
        assert all("style" not in e.attrib for e in parse(svg).iter())


# --- bar chart


def test_bar_heights_are_proportional_to_values() -> None:
    root = parse(bar_chart([("a", 1), ("b", 2), ("c", 4)], title="t"))
    heights = [num(bar, "height") for bar in find(root, "rect", "bar")]

    assert heights[1] == pytest.approx(2 * heights[0], abs=0.02)
    assert heights[2] == pytest.approx(2 * heights[1], abs=0.02)


@pytest.mark.parametrize("height", [120, 200, 333])
def test_tallest_bar_spans_the_plot_height_and_all_bars_stand_on_the_baseline(height: int) -> None:
    root = parse(bar_chart([("a", 3), ("b", 7.5), ("c", 0.5)], title="t", height=height))
    bars = find(root, "rect", "bar")
    bottom = baseline(root)

    assert bottom == height - charts._MARGIN_BOTTOM
    for bar in bars:
        assert num(bar, "y") + num(bar, "height") == pytest.approx(bottom, abs=0.02)
    tallest = bars[1]
    assert num(tallest, "y") == charts._PLOT_TOP
    assert num(tallest, "height") == pytest.approx(height - charts._PLOT_TOP - charts._MARGIN_BOTTOM)


def test_bars_do_not_overlap_and_stay_inside_the_view_box() -> None:
    root = parse(bar_chart([(str(i), i + 1) for i in range(12)], title="t", width=300))
    bars = find(root, "rect", "bar")

    for left, right in itertools.pairwise(bars):
        assert num(left, "x") + num(left, "width") <= num(right, "x")
    assert num(bars[0], "x") >= 0
    assert num(bars[-1], "x") + num(bars[-1], "width") <= 300


def test_value_above_each_bar_and_label_below() -> None:
    root = parse(bar_chart([("Mon", 3.0), ("Tue", 2.5), ("Wed", 1 / 3)], title="t"))
    bars = find(root, "rect", "bar")
    values = find(root, "text", "value")
    labels = find(root, "text", "label")

    assert [v.text for v in values] == ["3", "2.5", "0.33"]
    assert [label.text for label in labels] == ["Mon", "Tue", "Wed"]
    for bar, value, label in zip(bars, values, labels, strict=True):
        middle = num(bar, "x") + num(bar, "width") / 2
        assert num(value, "x") == pytest.approx(middle, abs=0.02)
        assert num(label, "x") == pytest.approx(middle, abs=0.02)
        assert num(value, "y") < num(bar, "y")
        assert num(label, "y") > baseline(root)
        assert value.get("text-anchor") == label.get("text-anchor") == "middle"


def test_each_bar_has_a_title_with_label_value_and_unit() -> None:
    root = parse(bar_chart([("Mon", 3.0), ("Tue", 2.5)], title="t", unit="cases"))
    assert [hint(bar) for bar in find(root, "rect", "bar")] == ["Mon: 3 cases", "Tue: 2.5 cases"]

    root = parse(bar_chart([("Mon", 3.0)], title="t"))
    assert [hint(bar) for bar in find(root, "rect", "bar")] == ["Mon: 3"]


def test_crowded_labels_are_thinned_but_every_bar_keeps_its_title() -> None:
    series = [(f"2025-W{week:02d}", week) for week in range(1, 41)]
    root = parse(bar_chart(series, title="t"))
    labels = find(root, "text", "label")

    bars = find(root, "rect", "bar")
    assert len(bars) == 40
    assert (hint(bars[0]), hint(bars[-1])) == ("2025-W01: 1", "2025-W40: 40")
    assert 1 < len(labels) < 40
    assert labels[0].text == "2025-W01"
    positions = [num(label, "x") for label in labels]
    gaps = [b - a for a, b in itertools.pairwise(positions)]
    assert min(gaps) >= len("2025-W01") * charts._CHAR_WIDTH


@pytest.mark.parametrize("series", [[], [("a", 0), ("b", 0)]], ids=["empty", "all-zero"])
def test_bar_chart_without_data_says_so(series: list[tuple[str, float]]) -> None:
    svg = bar_chart(series, title="Cases")
    root = parse(svg)

    assert texts(root, "no-data") == ["No data"]
    assert find(root, "rect", "bar") == []
    assert_all_numbers_finite(svg)


def test_no_data_text_can_be_translated() -> None:
    root = parse(bar_chart([], title="t", empty_text="لا توجد بيانات"))
    assert texts(root, "no-data") == ["لا توجد بيانات"]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1.0])
def test_bar_chart_rejects_values_it_cannot_draw(bad: float) -> None:
    with pytest.raises(ValueError):
        bar_chart([("a", 1), ("b", bad)], title="t")


def test_chart_too_small_to_plot_is_an_error() -> None:
    with pytest.raises(ValueError, match="no room"):
        bar_chart([("a", 1)], title="t", height=50)


def test_tiny_and_huge_values_stay_finite() -> None:
    svg = bar_chart([("a", 1e-9), ("b", 1e12), ("c", 0)], title="t")
    root = parse(svg)

    assert_all_numbers_finite(svg)
    assert texts(root, "value") == ["0", "1000000000000", "0"]


# --- grouped bar chart


def test_grouped_legend_lists_groups_in_order_with_their_bar_colours() -> None:
    groups = {"urgent": [3, 1, 0], "normal": [5, 2, 4], "closed": [1, 1, 1]}
    root = parse(grouped_bar_chart(["W1", "W2", "W3"], groups, title="Escalations"))
    items = find(root, "g", "legend-item")

    assert [texts(item, "legend-label") for item in items] == [["urgent"], ["normal"], ["closed"]]
    swatches = [item.find(SVG + "rect") for item in items]
    assert [s.get("fill") for s in swatches if s is not None] == list(PALETTE[:3])
    bars = find(root, "rect", "bar")
    assert [bar.get("fill") for bar in bars[:3]] == list(PALETTE[:3])
    assert len({colour.lower() for colour in PALETTE}) == len(PALETTE)


def test_grouped_bars_are_clustered_per_category_and_scaled_together() -> None:
    groups = {"urgent": [2, 1], "normal": [4, 0]}
    root = parse(grouped_bar_chart(["W1", "W2"], groups, title="t", unit="cases"))
    bars = find(root, "rect", "bar")

    assert [hint(bar) for bar in bars] == [
        "W1, urgent: 2 cases",
        "W1, normal: 4 cases",
        "W2, urgent: 1 cases",
        "W2, normal: 0 cases",
    ]
    heights = [num(bar, "height") for bar in bars]
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.02)
    assert heights[0] == pytest.approx(2 * heights[2], abs=0.02)
    assert heights[3] == 0
    assert num(bars[1], "y") == charts._PLOT_TOP + charts._LEGEND_HEIGHT
    xs = [num(bar, "x") for bar in bars]
    assert xs == sorted(xs)
    labels = find(root, "text", "label")
    assert [label.text for label in labels] == ["W1", "W2"]
    assert num(bars[0], "x") < num(labels[0], "x") < num(bars[1], "x") + num(bars[1], "width")


@pytest.mark.parametrize(
    ("categories", "groups"),
    [([], {"urgent": []}), (["W1"], {"urgent": [0], "normal": [0]}), ([], {})],
    ids=["no-categories", "all-zero", "no-groups"],
)
def test_grouped_chart_without_data_says_so(categories: list[str], groups: dict[str, list[float]]) -> None:
    svg = grouped_bar_chart(categories, groups, title="t")

    assert texts(parse(svg), "no-data") == ["No data"]
    assert_all_numbers_finite(svg)


def test_grouped_chart_rejects_groups_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        grouped_bar_chart(["a", "b", "c"], {"urgent": [1, 2]}, title="t")
    with pytest.raises(ValueError, match="groups can be told apart"):
        grouped_bar_chart(["a"], {str(i): [1] for i in range(len(PALETTE) + 1)}, title="t")


# --- line chart


def test_line_chart_points_are_ordered_like_the_values_and_inside_the_view_box() -> None:
    values = [10.0, 4.0, 20.0, 12.5, 7.0]
    root = parse(line_chart([(f"d{i}", v) for i, v in enumerate(values)], title="t", y_min=4, y_max=20))
    points = find(root, "circle", "point")
    width, height = (float(part) for part in root.attrib["viewBox"].split()[2:])

    ys = [num(p, "cy") for p in points]
    by_value = [y for _, y in sorted(zip(values, ys, strict=True))]
    assert by_value == sorted(by_value, reverse=True)
    assert len(set(ys)) == len(ys)
    xs = [num(p, "cx") for p in points]
    assert xs == sorted(xs)
    assert all(0 <= x <= width for x in xs)
    assert all(0 <= y <= height for y in ys)


def test_line_chart_maps_the_range_onto_the_plot() -> None:
    root = parse(line_chart([("a", 4), ("b", 12), ("c", 20)], title="t", y_min=4, y_max=20, height=200))
    ys = [num(p, "cy") for p in find(root, "circle", "point")]

    assert ys[0] == 200 - charts._MARGIN_BOTTOM
    assert ys[2] == charts._PLOT_TOP
    assert ys[1] == pytest.approx((ys[0] + ys[2]) / 2)
    assert texts(root, "tick") == ["4", "20"]


def test_polyline_joins_the_point_centres() -> None:
    root = parse(line_chart([("a", 5), ("b", 9), ("c", 6)], title="t", y_min=4, y_max=20))
    [line] = find(root, "polyline", "line")
    pairs = [tuple(float(n) for n in pair.split(",")) for pair in line.attrib["points"].split()]

    assert pairs == [(num(p, "cx"), num(p, "cy")) for p in find(root, "circle", "point")]
    assert line.get("fill") == "none"


def test_line_chart_titles_and_labels() -> None:
    root = parse(line_chart([("1 Mar", 8), ("8 Mar", 12.5)], title="Check-ins", y_min=4, y_max=20, unit="pt"))

    assert [hint(p) for p in find(root, "circle", "point")] == ["1 Mar: 8 pt", "8 Mar: 12.5 pt"]
    assert texts(root, "label") == ["1 Mar", "8 Mar"]


def test_single_point_is_just_a_circle() -> None:
    root = parse(line_chart([("1 Mar", 8)], title="t", y_min=4, y_max=20))

    assert len(find(root, "circle", "point")) == 1
    assert find(root, "polyline") == []


def test_values_outside_the_range_are_drawn_at_the_edge_with_their_real_value() -> None:
    svg = line_chart([("a", -3), ("b", 25)], title="t", y_min=4, y_max=20)
    root = parse(svg)
    low, high = find(root, "circle", "point")

    assert num(low, "cy") == 200 - charts._MARGIN_BOTTOM
    assert num(high, "cy") == charts._PLOT_TOP
    assert [hint(low), hint(high)] == ["a: -3", "b: 25"]


def test_line_chart_without_points_says_so() -> None:
    svg = line_chart([], title="t", y_min=4, y_max=20)

    assert texts(parse(svg), "no-data") == ["No data"]
    assert_all_numbers_finite(svg)


@pytest.mark.parametrize(("y_min", "y_max"), [(4, 4), (20, 4), (math.nan, 20), (4, math.inf)])
def test_line_chart_rejects_an_empty_or_broken_range(y_min: float, y_max: float) -> None:
    with pytest.raises(ValueError):
        line_chart([("a", 5)], title="t", y_min=y_min, y_max=y_max)


def test_line_chart_rejects_nan_values() -> None:
    with pytest.raises(ValueError, match="finite"):
        line_chart([("a", math.nan)], title="t", y_min=4, y_max=20)


# --- text: escaping and right-to-left scripts

Build = Callable[[str], Markup]

BUILDERS: dict[str, Build] = {
    "bar": lambda text: bar_chart([(text, 1)], title=text, unit=text),
    "grouped": lambda text: grouped_bar_chart([text], {text: [1]}, title=text, unit=text),
    "line": lambda text: line_chart([(text, 5)], title=text, y_min=4, y_max=20, unit=text),
    "empty": lambda text: bar_chart([], title=text, empty_text=text),
}


@pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())
def test_hostile_text_is_escaped(build: Build) -> None:
    svg = build(HOSTILE)
    root = parse(svg)

    assert HOSTILE not in svg
    assert "&lt;script&gt;" in svg
    assert all("script" not in element.tag for element in root.iter())
    assert HOSTILE in [element.text for element in root.iter()]


def test_quotes_and_ampersands_are_escaped() -> None:
    text = "Tom & \"Jerry\" 'x'"
    root = parse(grouped_bar_chart([text], {text: [1]}, title=text))

    assert root.find(SVG + "title") is not None
    assert texts(root, "label") == [text]
    assert texts(root, "legend-label") == [text]
    assert [hint(bar) for bar in find(root, "rect", "bar")] == [f"{text}, {text}: 1"]


@pytest.mark.parametrize("label", [ARABIC, DARI])
def test_arabic_script_labels_survive_the_round_trip(label: str) -> None:
    bar_root = parse(bar_chart([(label, 3)], title=label, unit="حالة"))
    assert texts(bar_root, "label") == [label]
    assert texts(bar_root, "chart-title") == [label]
    assert [hint(bar) for bar in find(bar_root, "rect", "bar")] == [f"{label}: 3 حالة"]

    line_svg = line_chart([(label, 9)], title=label, y_min=4, y_max=20)
    assert label in line_svg  # written as text, not as character references
    assert [hint(p) for p in find(parse(line_svg), "circle", "point")] == [f"{label}: 9"]

    grouped_root = parse(grouped_bar_chart(["W1"], {label: [2]}, title="t"))
    assert texts(grouped_root, "legend-label") == [label]


def test_all_text_is_centred_so_direction_does_not_matter() -> None:
    svg = grouped_bar_chart([ARABIC, "W2"], {DARI: [1, 2], "normal": [3, 4]}, title=ARABIC)
    assert all(t.get("text-anchor") == "middle" for t in find(parse(svg), "text"))
