"""Chart geometry for the dashboard: bars, year columns, a world map and a Sankey diagram, as plain data.

The templates draw these as inline SVG. We draw our own SVG instead of vendoring a chart library because
the charts are few and simple, the pages then work without JavaScript (and in the static export), every
number sits in the page for screen readers and tests, and no third-party script reaches the visitor.
Map shapes: Natural Earth 1:110m countries (public domain), see ``data/README.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from ctdx.analytics import Breakdown, Flows
from ctdx.portal.i18n import Translator

BAR_WIDTH = 270
BAR_HEIGHT = 22
LABEL_WIDTH = 215
PALETTE = ("#deebf7", "#9ecae1", "#4292c6", "#2171b5", "#08306b")
NO_DATA = "#d9d9d9"


def number(value: int | None, t: Translator) -> str:
    return t("withheld") if value is None else f"{value:,}"


def percent(share: float | None) -> str:
    return "" if share is None else f"{share:.1%}"


@dataclass
class Mark:
    """One bar or column: its label, its numbers, and where it is drawn."""

    value: str
    label: str
    count: int | None
    bound: int | None
    share: float | None
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0
    low: float = 0
    high: float = 0
    text: str = ""
    d: str = ""
    fill: str = ""


@dataclass
class Chart:
    key: str
    kind: str
    marks: list[Mark] = field(default_factory=list)
    width: float = 0
    height: float = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _mark(bar: Any, t: Translator) -> Mark:
    text = number(bar.count, t)
    if bar.error_bound:
        text += f" ±{bar.error_bound:,}"
    if bar.share is not None:
        text += f" ({percent(bar.share)})"
    return Mark(bar.value, t.label(bar.value), bar.count, bar.error_bound, bar.share, text=text)


def bars(result: Breakdown, t: Translator, limit: int = 15) -> Chart:
    """Horizontal bars with error whiskers, longest first unless the dimension has an order."""
    marks = [_mark(b, t) for b in result.bars[:limit]]
    top = max([(m.count or 0) + (m.bound or 0) for m in marks] + [1])
    scale = BAR_WIDTH / top
    for i, m in enumerate(marks):
        m.x, m.y = LABEL_WIDTH, i * (BAR_HEIGHT + 8) + 4
        m.width, m.height = (m.count or 0) * scale, BAR_HEIGHT
        m.low = LABEL_WIDTH + max(0, (m.count or 0) - (m.bound or 0)) * scale
        m.high = LABEL_WIDTH + ((m.count or 0) + (m.bound or 0)) * scale
    return Chart(result.dimension, "bars", marks, LABEL_WIDTH + BAR_WIDTH + 150, len(marks) * (BAR_HEIGHT + 8) + 8)


def columns(result: Breakdown, t: Translator) -> Chart:
    """Vertical columns (the trend by year) with error whiskers."""
    marks = [_mark(b, t) for b in result.bars]
    plot_height, step = 220.0, 44.0
    top = max([(m.count or 0) + (m.bound or 0) for m in marks] + [1])
    scale = plot_height / top
    for i, m in enumerate(marks):
        m.width, m.x = step - 10, 40 + i * step
        m.height = (m.count or 0) * scale
        m.y = 10 + plot_height - m.height
        m.low = 10 + plot_height - max(0, (m.count or 0) - (m.bound or 0)) * scale
        m.high = 10 + plot_height - ((m.count or 0) + (m.bound or 0)) * scale
    return Chart(result.dimension, "columns", marks, 40 + len(marks) * step + 20, plot_height + 50, {"top": top})


@cache
def world() -> dict[str, Any]:
    text = resources.files("ctdx.portal").joinpath("data", "world.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def world_map(result: Breakdown, t: Translator) -> Chart:
    """Countries shaded by count in five quantile classes; countries without a published count in grey."""
    shapes = world()
    counts = {b.value: b for b in result.bars if b.count is not None}
    ordered = sorted(b.count for b in counts.values() if b.count is not None)
    breaks = [ordered[int(len(ordered) * q / len(PALETTE))] for q in range(1, len(PALETTE))] if ordered else []
    marks = []
    for code, shape in shapes["countries"].items():
        bar = counts.get(code)
        mark = Mark(code, t.label(code), None, None, None)
        mark.d = shape["d"]
        mark.text = f"{mark.label}: {_mark(bar, t).text}" if bar else mark.label
        if bar is not None and bar.count is not None:
            mark.count, mark.bound, mark.share = bar.count, bar.error_bound, bar.share
            mark.fill = PALETTE[sum(bar.count >= b for b in breaks)]
        else:
            mark.fill = NO_DATA
        marks.append(mark)
    legend = [{"fill": PALETTE[0], "text": f"< {breaks[0]:,}"}] if breaks else []
    legend += [{"fill": PALETTE[i + 1], "text": f"≥ {b:,}"} for i, b in enumerate(breaks)]
    return Chart(result.dimension, "map", marks, shapes["width"], shapes["height"], {"legend": legend})


def sankey(result: Flows, t: Translator) -> Chart:
    """Origins on the left, places of exploitation on the right, each flow a band as wide as its count."""
    flows = [f for f in result.flows if f.count]
    height, gap, left, right = 460.0, 6.0, 230.0, 590.0
    origins: dict[str, int] = {}
    destinations: dict[str, int] = {}
    for f in flows:
        origins[f.origin] = origins.get(f.origin, 0) + (f.count or 0)
        destinations[f.destination] = destinations.get(f.destination, 0) + (f.count or 0)
    total = sum(origins.values()) or 1
    usable = height - gap * max(len(origins), len(destinations), 1)
    scale = usable / total

    def place(nodes: dict[str, int]) -> dict[str, list[float]]:
        out, y = {}, 0.0
        for name, n in sorted(nodes.items(), key=lambda kv: -kv[1]):
            out[name] = [y, y]  # top, running offset of the next band
            y += n * scale + gap
        return out

    left_nodes, right_nodes = place(origins), place(destinations)
    links = []
    for f in flows:
        width = (f.count or 0) * scale
        y0 = left_nodes[f.origin][1] + width / 2
        y1 = right_nodes[f.destination][1] + width / 2
        left_nodes[f.origin][1] += width
        right_nodes[f.destination][1] += width
        mid = (left + right) / 2
        text = f"{t.label(f.origin)} → {t.label(f.destination)}: {number(f.count, t)}"
        if f.error_bound:
            text += f" ±{f.error_bound:,}"
        links.append(
            {
                "d": f"M{left} {y0:.1f}C{mid} {y0:.1f} {mid} {y1:.1f} {right} {y1:.1f}",
                "width": max(width, 1),
                "text": text,
                "origin": f.origin,
                "destination": f.destination,
                "count": f.count,
                "bound": f.error_bound,
            }
        )
    nodes = [
        {"x": left - 8, "y": top, "h": origins[n] * scale, "label": t.label(n), "side": "left", "count": origins[n]}
        for n, (top, _) in left_nodes.items()
    ] + [
        {"x": right, "y": top, "h": destinations[n] * scale, "label": t.label(n), "side": "right",
         "count": destinations[n]}
        for n, (top, _) in right_nodes.items()
    ]  # fmt: skip
    return Chart("flows", "sankey", [], 820, height, {"links": links, "nodes": nodes})
