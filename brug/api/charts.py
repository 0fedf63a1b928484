"""Charts as inline SVG for the server-rendered pages: no chart library, no JavaScript.

All text reaches the SVG through `Markup.format`, which escapes its arguments, so a label typed by a
key person or a family cannot inject markup and the result is safe to put in a page with `|safe`.
Text is anchored in the middle so the charts look the same on a left-to-right or right-to-left page.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup

# Okabe–Ito, which colour-blind readers can tell apart; ordered so the first colours stand out most on white.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#000000",
    "#F0E442",
)

_MARGIN_X = 8
_Y_AXIS_WIDTH = 28
_TITLE_Y = 16
_LEGEND_Y = 34
_PLOT_TOP = 40  # below the title, with room for the value printed above the tallest bar
_LEGEND_HEIGHT = 18
_MARGIN_BOTTOM = 24
_MAX_BAR_WIDTH = 48  # so that two or three bars do not turn into slabs
_FONT_SIZE = 11
_CHAR_WIDTH = 7  # rough width of a character at _FONT_SIZE, to keep labels from overlapping
_ids = itertools.count(1)


@dataclass(frozen=True)
class _Frame:
    """The plot area inside the SVG, in SVG units (y grows downwards)."""

    width: int
    height: int
    left: float
    top: float

    @property
    def right(self) -> float:
        return self.width - _MARGIN_X

    @property
    def bottom(self) -> float:
        return self.height - _MARGIN_BOTTOM

    def slot(self, index: int, count: int) -> tuple[float, float]:
        """Start and width of the `index`-th of `count` equal columns."""
        size = (self.right - self.left) / count
        return self.left + index * size, size

    def y_for(self, fraction: float) -> float:
        return self.bottom - fraction * (self.bottom - self.top)


def bar_chart(
    series: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str = "",
    width: int = 480,
    height: int = 200,
    empty_text: str = "No data",
) -> Markup:
    """Values must be finite and not negative; the scale runs from 0 to the largest value."""
    frame = _frame(width, height, top=_PLOT_TOP)
    top = _scale_top(value for _, value in series)
    if top == 0:
        return _no_data(frame, title, "bar", empty_text)
    parts = [_baseline(frame)]
    for index, (label, value) in enumerate(series):
        start, size = frame.slot(index, len(series))
        bar_width = min(size * 0.7, _MAX_BAR_WIDTH)
        x = start + (size - bar_width) / 2
        parts += _column(frame, x, bar_width, value / top, PALETTE[0], (label, value, unit))
    parts += _x_labels(frame, [label for label, _ in series])
    return _svg(frame, title, "bar", parts)


def grouped_bar_chart(
    categories: Sequence[str],
    groups: Mapping[str, Sequence[float]],
    *,
    title: str,
    unit: str = "",
    width: int = 480,
    height: int = 200,
    empty_text: str = "No data",
) -> Markup:
    """One cluster per category, one bar per group, coloured from `PALETTE` in the order of `groups`."""
    _check_groups(categories, groups)
    frame = _frame(width, height, top=_PLOT_TOP + _LEGEND_HEIGHT)
    top = _scale_top(value for values in groups.values() for value in values)
    if top == 0:
        return _no_data(frame, title, "grouped-bar", empty_text)
    parts = [_baseline(frame)]
    for index, category in enumerate(categories):
        parts += _cluster(frame, index, len(categories), category, groups, top, unit)
    parts += _x_labels(frame, categories)
    parts.append(_legend(list(groups)))
    return _svg(frame, title, "grouped-bar", parts)


def line_chart(
    points: Sequence[tuple[str, float]],
    *,
    title: str,
    y_min: float,
    y_max: float,
    unit: str = "",
    width: int = 480,
    height: int = 200,
    empty_text: str = "No data",
) -> Markup:
    """Values outside `y_min`..`y_max` are drawn at the edge; their `<title>` still gives the real value."""
    _check_finite([y_min, y_max, *(value for _, value in points)])
    if y_max <= y_min:
        raise ValueError(f"y_max ({y_max}) must be greater than y_min ({y_min})")
    frame = _frame(width, height, top=_PLOT_TOP, left=_Y_AXIS_WIDTH)
    if not points:
        return _no_data(frame, title, "line", empty_text)
    coords = [
        _point_xy(frame, index, len(points), (value - y_min) / (y_max - y_min))
        for index, (_, value) in enumerate(points)
    ]
    parts = list(_y_grid(frame, y_min, y_max))
    if len(coords) > 1:
        parts.append(_polyline(coords))
    for (x, y), (label, value) in zip(coords, points, strict=True):
        parts.append(_point(x, y, _hint(label, value, unit)))
    parts += _x_labels(frame, [label for label, _ in points])
    return _svg(frame, title, "line", parts)


def _frame(width: int, height: int, *, top: float, left: float = _MARGIN_X) -> _Frame:
    frame = _Frame(width, height, left, top)
    if frame.right - frame.left < 1 or frame.bottom - frame.top < 1:
        raise ValueError(f"a chart of {width}×{height} leaves no room to plot")
    return frame


def _check_finite(values: Iterable[float]) -> None:
    if not all(math.isfinite(value) for value in values):
        raise ValueError("chart values must be finite numbers")


def _scale_top(values: Iterable[float]) -> float:
    """The largest value, or 0 when there is nothing to draw."""
    checked = list(values)
    _check_finite(checked)
    if any(value < 0 for value in checked):
        raise ValueError("bar chart values must not be negative")
    return max(checked, default=0.0)


def _check_groups(categories: Sequence[str], groups: Mapping[str, Sequence[float]]) -> None:
    if len(groups) > len(PALETTE):
        raise ValueError(f"at most {len(PALETTE)} groups can be told apart by colour, got {len(groups)}")
    for name, values in groups.items():
        if len(values) != len(categories):
            raise ValueError(f"group {name!r} has {len(values)} values for {len(categories)} categories")


def _num(value: float) -> str:
    """3 for 3.0, 2.5 for 2.5, at most two decimals, never '-0'."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _hint(label: str, value: float, unit: str) -> str:
    return f"{label}: {_num(value)} {unit}".rstrip()


def _svg(frame: _Frame, title: str, kind: str, parts: Iterable[Markup]) -> Markup:
    title_id = f"chart-{next(_ids)}-title"
    head = Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}"'
        ' role="img" aria-labelledby="{id}" class="chart chart-{kind}" font-size="{size}">'
        '<title id="{id}">{title}</title>'
    ).format(w=frame.width, h=frame.height, id=title_id, kind=kind, size=_FONT_SIZE, title=title)
    heading = _text(frame.width / 2, _TITLE_Y, title, "chart-title")
    return head + heading + Markup("").join(parts) + Markup("</svg>")


def _no_data(frame: _Frame, title: str, kind: str, empty_text: str) -> Markup:
    return _svg(frame, title, kind, [_text(frame.width / 2, frame.height / 2, empty_text, "no-data")])


def _text(x: float, y: float, text: str, css_class: str) -> Markup:
    return Markup('<text class="{}" x="{}" y="{}" text-anchor="middle" fill="currentColor">{}</text>').format(
        css_class, _num(x), _num(y), text
    )


def _baseline(frame: _Frame) -> Markup:
    return Markup('<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor"/>').format(
        _num(frame.left), _num(frame.bottom), _num(frame.right), _num(frame.bottom)
    )


def _column(
    frame: _Frame, x: float, bar_width: float, fraction: float, colour: str, datum: tuple[str, float, str]
) -> list[Markup]:
    """A bar reaching `fraction` of the plot height, with its value printed above it."""
    label, value, unit = datum
    y = frame.y_for(fraction)
    bar = Markup(
        '<rect class="bar" x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>'
    ).format(_num(x), _num(y), _num(bar_width), _num(frame.bottom - y), colour, _hint(label, value, unit))
    return [bar, _text(x + bar_width / 2, y - 4, _num(value), "value")]


def _cluster(
    frame: _Frame,
    index: int,
    count: int,
    category: str,
    groups: Mapping[str, Sequence[float]],
    top: float,
    unit: str,
) -> list[Markup]:
    start, size = frame.slot(index, count)
    bar_width = min(size * 0.8 / len(groups), _MAX_BAR_WIDTH)
    first_x = start + (size - bar_width * len(groups)) / 2
    parts: list[Markup] = []
    for number, ((name, values), colour) in enumerate(zip(groups.items(), PALETTE, strict=False)):
        datum = (f"{category}, {name}", values[index], unit)
        parts += _column(frame, first_x + number * bar_width, bar_width, values[index] / top, colour, datum)
    return parts


def _x_labels(frame: _Frame, labels: Sequence[str]) -> list[Markup]:
    """One label under each column, leaving some out evenly when they would overlap."""
    if not labels:
        return []
    size = frame.slot(0, len(labels))[1]
    step = max(1, math.ceil((max(len(label) for label in labels) * _CHAR_WIDTH + 4) / size))
    return [
        _text(frame.slot(index, len(labels))[0] + size / 2, frame.height - 8, label, "label")
        for index, label in enumerate(labels)
        if index % step == 0
    ]


def _legend(names: Sequence[str]) -> Markup:
    items, x = [], float(_MARGIN_X)
    for name, colour in zip(names, PALETTE, strict=False):
        text_width = len(name) * _CHAR_WIDTH
        swatch = Markup('<rect x="{}" y="{}" width="10" height="10" fill="{}"/>').format(
            _num(x), _LEGEND_Y - 9, colour
        )
        label = _text(x + 14 + text_width / 2, _LEGEND_Y, name, "legend-label")
        items.append(Markup('<g class="legend-item">{}{}</g>').format(swatch, label))
        x += 14 + text_width + 12
    return Markup('<g class="legend">{}</g>').format(Markup("").join(items))


def _point_xy(frame: _Frame, index: int, count: int, fraction: float) -> tuple[float, float]:
    start, size = frame.slot(index, count)
    return start + size / 2, frame.y_for(min(1.0, max(0.0, fraction)))


def _y_grid(frame: _Frame, y_min: float, y_max: float) -> Iterator[Markup]:
    for value, y in ((y_min, frame.bottom), (y_max, frame.top)):
        yield Markup('<line class="grid" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999999"/>').format(
            _num(frame.left), _num(y), _num(frame.right), _num(y)
        )
        yield _text(frame.left / 2, y + 4, _num(value), "tick")


def _polyline(coords: Sequence[tuple[float, float]]) -> Markup:
    points = " ".join(f"{_num(x)},{_num(y)}" for x, y in coords)
    return Markup('<polyline class="line" points="{}" fill="none" stroke="{}" stroke-width="2"/>').format(
        points, PALETTE[0]
    )


def _point(x: float, y: float, hint: str) -> Markup:
    return Markup('<circle class="point" cx="{}" cy="{}" r="4" fill="{}"><title>{}</title></circle>').format(
        _num(x), _num(y), PALETTE[0], hint
    )
