"""Small server-side SVG charts: no JavaScript, no third-party assets, text escaped."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 640, 220, 36


def _frame(title: str, body: str) -> Markup:
    label = escape(title)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}">'
        f"<title>{label}</title>{body}</svg>"
    )


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float | None]) -> Markup:
    """A bar chart with a value over each bar."""
    numbers = [float(v or 0) for v in values]
    top = max(numbers, default=0) or 1.0
    slot = (WIDTH - 2 * PAD) / max(len(numbers), 1)
    parts = [f'<line class="axis" x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" '
             f'y2="{HEIGHT - PAD}"/>']  # fmt: skip
    for i, (label, value) in enumerate(zip(labels, numbers, strict=True)):
        h = (HEIGHT - 2 * PAD) * value / top
        x = PAD + i * slot + slot * 0.15
        y = HEIGHT - PAD - h
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}">'
            f"<title>{escape(label)}: {value:g}</title></rect>"
            f'<text x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" text-anchor="middle">{value:g}</text>'
        )
        if len(numbers) <= 16 or i % max(1, len(numbers) // 8) == 0:
            parts.append(
                f'<text class="tick" x="{x + slot * 0.35:.1f}" y="{HEIGHT - PAD + 14}" '
                f'text-anchor="middle">{escape(label[-5:])}</text>'
            )
    return _frame(title, "".join(parts))


def line_chart(title: str, labels: Sequence[str], values: Sequence[float | None]) -> Markup:
    """A line over time; gaps (None) are skipped; the zero line is drawn when in range."""
    known = [v for v in values if v is not None]
    if not known:
        return _frame(title, f'<text x="{PAD}" y="{HEIGHT / 2}">no data</text>')
    low, high = min(*known, 0.0), max(*known, 0.0)
    span = (high - low) or 1.0
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)

    def y(v: float) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * (v - low) / span

    points = " ".join(
        f"{PAD + i * step:.1f},{y(v):.1f}" for i, v in enumerate(values) if v is not None
    )
    body = [
        f'<line class="axis" x1="{PAD}" y1="{y(0):.1f}" x2="{WIDTH - PAD}" y2="{y(0):.1f}"/>',
        f'<polyline class="line" points="{points}"/>',
        f'<text class="tick" x="2" y="{y(high) + 4:.1f}">{high:g}</text>',
        f'<text class="tick" x="2" y="{y(low) + 4:.1f}">{low:g}</text>',
    ]
    if labels:
        body.append(f'<text class="tick" x="{PAD}" y="{HEIGHT - 8}">{escape(labels[0])}</text>')
        body.append(
            f'<text class="tick" x="{WIDTH - PAD}" y="{HEIGHT - 8}" text-anchor="end">'
            f"{escape(labels[-1])}</text>"
        )
    return _frame(title, "".join(body))
