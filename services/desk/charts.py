"""Server-side SVG charts that read at normal zoom: axes with round ticks, units, legends.

No JavaScript and no third-party assets; every label is escaped. Text is drawn at a fixed
13 px of the chart's own width, so each chart comes in two widths (`responsive`): one for a
laptop's half-screen card and one for a phone, swapped by CSS, so neither is shrunk to a blur.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

WIDE, NARROW = 600, 340
FONT = 13
INK, MUTED, GRID = "#1d2430", "#5b6472", "#e3e7ec"
PALETTE = ("#1f5fbf", "#e07b00", "#1a7f37", "#8250df", "#b42318", "#0a7c86")
Series = tuple[str, Sequence[float | None]]


@dataclass(frozen=True)
class Box:
    """The plot area inside the chart: left, top, right and bottom edges."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


def nice_ticks(low: float, high: float, count: int = 5, *, exact: bool = False) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering [low, high].

    `exact` starts at `low` and stops at `high` (a fixed scale such as 1-7 or -100..100).
    """
    if high <= low:
        high = low + 1
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if exact:
        n = math.ceil((high - low) / step - 1e-9)
        return [round(low + i * step, 6) for i in range(n + 1)]
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value < high + step * 0.5:
        ticks.append(round(value, 6))
        value += step
    if ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 6))
    return ticks


def _num(value: float, unit: str = "") -> str:
    text = f"{value:,.1f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    return f"{text}{unit}"


def day_label(day: str) -> str:
    """`2026-03-02` as `Mar 2`; anything else unchanged."""
    try:
        d = date.fromisoformat(day)
    except ValueError:
        return day
    return f"{d:%b} {d.day}"


def _text(x: float, y: float, text: str, *, anchor: str = "start", fill: str = INK,
          size: int = FONT, extra: str = "") -> str:  # fmt: skip
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" '
        f'text-anchor="{anchor}"{extra}>{escape(text)}</text>'
    )


def _frame(title: str, width: int, height: int, body: str, css: str) -> Markup:
    label = escape(title)
    return Markup(
        f'<svg class="chart {css}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{label}" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">'
        f"<title>{label}</title>{body}</svg>"
    )


def _legend(series: Sequence[Series], left: float, width: int) -> tuple[str, float]:
    """One swatch and name per series above the plot, wrapping as needed; and where it ends."""
    if len(series) < 2:
        return "", 12.0
    parts, x, y = [], left, 16.0
    for i, (name, _values) in enumerate(series):
        span = 22 + len(name) * FONT * 0.6
        if x + span > width - 8 and x > left:
            x, y = left, y + 18
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" rx="2" '
            f'fill="{PALETTE[i % len(PALETTE)]}"/>' + _text(x + 17, y, name)
        )
        x += span + 14
    return "".join(parts), y + 18


def _empty(title: str, width: int, height: int, css: str) -> Markup:
    body = _text(width / 2, height / 2, "No data in this period", anchor="middle", fill=MUTED)
    return _frame(title, width, height, body, css)


def _y_axis(box: Box, ticks: Sequence[float], y: Callable[[float], float], unit: str,
            label: str) -> str:  # fmt: skip
    parts = []
    for t in ticks:
        parts.append(
            f'<line x1="{box.left}" x2="{box.right}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
            f'stroke="{INK if t == 0 else GRID}" stroke-width="1"/>'
            + _text(box.left - 6, y(t) + 4, _num(t, unit), anchor="end", fill=MUTED)
        )
    parts.append(
        _text(12, box.top + box.height / 2, label, anchor="middle", fill=MUTED,
              extra=f' transform="rotate(-90 12 {box.top + box.height / 2:.1f})"')
    )  # fmt: skip
    return "".join(parts)


def _x_labels(box: Box, labels: Sequence[str], x: Callable[[int], float], width: int) -> str:
    """Day labels under the plot, thinned so that none overlap."""
    room = max(1, int(box.width // 58))
    every = max(1, math.ceil(len(labels) / room))
    parts = [
        f'<line x1="{box.left}" x2="{box.right}" y1="{box.bottom}" y2="{box.bottom}" '
        f'stroke="{INK}"/>'
    ]
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{box.bottom}" y2="{box.bottom + 4}" '
                f'stroke="{INK}"/>' + _text(x(i), box.bottom + 18, day_label(label),
                                            anchor="middle")
            )  # fmt: skip
    return "".join(parts)


def _box(series: Sequence[Series], width: int, height: int) -> tuple[Box, str]:
    """The plot area below the legend, with room for the y axis on the left; and the legend."""
    legend, top = _legend(series, 52, width)
    return Box(52, top, width - 14, height - 30), legend


def column_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, y_label: str,
    unit: str = "", width: int = WIDE, height: int = 260, css: str = "",
) -> Markup:  # fmt: skip
    """Vertical bars per label (several series side by side), with a y axis of round ticks."""
    values = [v for _, vs in series for v in vs if v is not None]
    if not labels or not values:
        return _empty(title, width, height, css)
    box, legend = _box(series, width, height)
    ticks = nice_ticks(min(0.0, *values), max(values) * 1.08)  # room for the value labels
    low, high = ticks[0], ticks[-1]

    def y(v: float) -> float:
        return box.bottom - box.height * (v - low) / (high - low)

    slot = box.width / len(labels)
    bar = slot * 0.72 / len(series)

    def x(i: int) -> float:
        return box.left + slot * (i + 0.5)

    parts = [legend, _y_axis(box, ticks, y, unit, y_label)]
    for s, (name, vs) in enumerate(series):
        color = PALETTE[s % len(PALETTE)]
        for i, v in enumerate(vs):
            if v is None:
                continue
            left = x(i) - slot * 0.36 + s * bar
            top = min(y(v), y(0))
            parts.append(
                f'<rect x="{left:.1f}" y="{top:.1f}" width="{max(bar - 1, 1):.1f}" '
                f'height="{abs(y(0) - y(v)):.1f}" fill="{color}"><title>'
                f"{escape(day_label(labels[i]))} · {escape(name)}: {escape(_num(v, unit))}"
                "</title></rect>"
            )
            if bar >= 26:
                parts.append(_text(left + bar / 2, top - 4, _num(v, unit), anchor="middle"))
    parts.append(_x_labels(box, labels, x, width))
    return _frame(title, width, height, "".join(parts), css)


def line_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, y_label: str,
    y_range: tuple[float, float] | None = None, unit: str = "", width: int = WIDE,
    height: int = 260, css: str = "",
) -> Markup:  # fmt: skip
    """Lines over days with a dot on each known value; a missing day breaks the line."""
    values = [v for _, vs in series for v in vs if v is not None]
    if not labels or not values:
        return _empty(title, width, height, css)
    box, legend = _box(series, width, height)
    ticks = nice_ticks(*y_range, exact=True) if y_range else nice_ticks(min(values), max(values))
    low, high = ticks[0], ticks[-1]

    def y(v: float) -> float:
        return box.bottom - box.height * (v - low) / (high - low)

    step = box.width / len(labels)

    def x(i: int) -> float:
        return box.left + step * (i + 0.5)

    parts = [legend, _y_axis(box, ticks, y, unit, y_label)]
    for s, (name, vs) in enumerate(series):
        color = PALETTE[s % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for i, v in enumerate(vs):
            if v is None:
                runs.append([])
                continue
            runs[-1].append(f"{x(i):.1f},{y(v):.1f}")
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{color}"><title>'
                f"{escape(day_label(labels[i]))} · {escape(name)}: {escape(_num(v, unit))}"
                "</title></circle>"
            )
        parts.extend(
            f'<polyline points="{" ".join(run)}" fill="none" stroke="{color}" stroke-width="2.5"/>'
            for run in runs
            if len(run) > 1
        )
    parts.append(_x_labels(box, labels, x, width))
    return _frame(title, width, height, "".join(parts), css)


def bar_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, x_label: str,
    unit: str = "", x_max: float | None = None, width: int = WIDE, css: str = "",
) -> Markup:  # fmt: skip
    """Horizontal bars, one row per label (several series stacked as thinner bars)."""
    values = [v for _, vs in series for v in vs if v is not None]
    if not labels or not values:
        return _empty(title, width, 120, css)
    # On a phone the labels go on their own line above the bars, so none is cut short.
    above = width < WIDE
    label_room = 0.0 if above else min(width * 0.38, max(map(len, labels)) * FONT * 0.6 + 8)
    row = 10 + 16 * len(series) + (18 if above else 0)
    legend, top = _legend(series, 14 if above else label_room + 6, width)
    height = int(top + row * len(labels) + 46)
    box = Box(label_room + (14 if above else 6), top, width - 44, height - 40)
    ticks = nice_ticks(0.0, x_max if x_max is not None else max(values), 5 if width >= WIDE else 4)
    high = ticks[-1]

    def x(v: float) -> float:
        return box.left + box.width * v / high

    parts = [legend]
    for t in ticks:
        parts.append(
            f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{box.top}" y2="{box.bottom}" '
            f'stroke="{INK if t == 0 else GRID}"/>'
            + _text(x(t), box.bottom + 16, _num(t, unit), anchor="middle", fill=MUTED)
        )
    parts.append(_text(box.left + box.width / 2, box.bottom + 34, x_label, anchor="middle",
                       fill=MUTED))  # fmt: skip
    most = int((width - 20 if above else label_room) / (FONT * 0.6))
    for i, label in enumerate(labels):
        y0 = box.top + i * row + 5
        shown = label if len(label) <= most else label[: most - 1] + "…"
        if above:
            lx, ly, anchor = box.left, y0 + 8, "start"
        else:
            lx, ly, anchor = box.left - 6, y0 + row / 2, "end"
        parts.append(
            f'<text x="{lx:.1f}" y="{ly - 1:.1f}" font-size="{FONT}" fill="{INK}" '
            f'text-anchor="{anchor}" dominant-baseline="middle">'
            f"<title>{escape(label)}</title>{escape(shown)}</text>"
        )
        for s, (name, vs) in enumerate(series):
            v = vs[i]
            if v is None:
                continue
            top_s = y0 + s * 16 + (18 if above else 0)
            parts.append(
                f'<rect x="{box.left:.1f}" y="{top_s:.1f}" width="{x(v) - box.left:.1f}" '
                f'height="14" fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(label)} · '
                f"{escape(name)}: {escape(_num(v, unit))}</title></rect>"
                + _text(x(v) + 4, top_s + 11, _num(v, unit), size=12)
            )
    return _frame(title, width, height, "".join(parts), css)


def responsive(draw: Callable[..., Markup], *args: object, **kwargs: object) -> Markup:
    """The chart at laptop and at phone width; the page's CSS shows the one that fits."""
    return Markup(
        draw(*args, width=WIDE, css="chart-wide", **kwargs)
        + draw(*args, width=NARROW, css="chart-narrow", **kwargs)
    )
