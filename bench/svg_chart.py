"""A line chart as a standalone SVG file, for bench/README.md: no plotting library is needed to draw one."""
from __future__ import annotations

import math
from html import escape

WIDTH, HEIGHT = 720, 420
LEFT, RIGHT, TOP, BOTTOM = 64, 170, 20, 50
COLORS = ("#7f7f7f", "#d62728", "#1f77b4", "#2ca02c", "#9467bd")
TICKS = 6


def line_chart(series: dict[str, list[tuple[float, float]]], bands: dict[str, list[tuple[float, float, float]]],
               x_title: str, y_title: str, reference: tuple[str, float] | None = None) -> str:
    """One line per series (x, y), each over a shaded band (x, low, high), with axes, ticks and a legend; a
    `reference` (name, y) is drawn as a dashed level."""
    xs = [x for points in series.values() for x, _ in points]
    ys = [y for rows in bands.values() for _, low, high in rows for y in (low, high)] + \
        ([reference[1]] if reference else [])
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    pad = (y1 - y0) * 0.05 or 0.01
    y0, y1 = y0 - pad, y1 + pad
    px = lambda x: LEFT + (x - x0) / (x1 - x0) * (WIDTH - LEFT - RIGHT)  # noqa: E731
    py = lambda y: HEIGHT - BOTTOM - (y - y0) / (y1 - y0) * (HEIGHT - TOP - BOTTOM)  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" '
             f'font-size="12"><rect width="100%" height="100%" fill="white"/>']
    for x in _ticks(x0, x1):
        parts.append(f'<line x1="{px(x):.1f}" y1="{TOP}" x2="{px(x):.1f}" y2="{HEIGHT - BOTTOM}" stroke="#eee"/>'
                     f'<text x="{px(x):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{x:g}</text>')
    for y in _ticks(y0, y1):
        parts.append(f'<line x1="{LEFT}" y1="{py(y):.1f}" x2="{WIDTH - RIGHT}" y2="{py(y):.1f}" stroke="#eee"/>'
                     f'<text x="{LEFT - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{y:g}</text>')
    if reference:
        parts.append(f'<line x1="{LEFT}" y1="{py(reference[1]):.1f}" x2="{WIDTH - RIGHT}" y2="{py(reference[1]):.1f}" '
                     f'stroke="#555" stroke-dasharray="5 4"/><text x="{WIDTH - RIGHT - 4}" '
                     f'y="{py(reference[1]) - 5:.1f}" text-anchor="end">{escape(reference[0])}</text>')
    for (name, points), color in zip(series.items(), COLORS):
        band = bands.get(name, [])
        if band:
            outline = [(px(x), py(high)) for x, _, high in band] + [(px(x), py(low)) for x, low, _ in reversed(band)]
            parts.append(f'<polygon points="{_points(outline)}" fill="{color}" opacity="0.12"/>')
        parts.append(f'<polyline points="{_points([(px(x), py(y)) for x, y in points])}" fill="none" '
                     f'stroke="{color}" stroke-width="2"/>')
    for i, (name, color) in enumerate(zip(series, COLORS)):
        y = TOP + 20 + 20 * i
        parts.append(f'<line x1="{WIDTH - RIGHT + 14}" y1="{y}" x2="{WIDTH - RIGHT + 38}" y2="{y}" stroke="{color}" '
                     f'stroke-width="3"/><text x="{WIDTH - RIGHT + 44}" y="{y + 4}">{escape(name)}</text>')
    parts.append(f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 12}" text-anchor="middle">{escape(x_title)}'
                 f'</text><text transform="translate(16 {(TOP + HEIGHT - BOTTOM) / 2}) rotate(-90)" '
                 f'text-anchor="middle">{escape(y_title)}</text></svg>')
    return "\n".join(parts)


def _ticks(low: float, high: float) -> list[float]:
    """Round values (1, 2 or 5 times a power of ten apart) between low and high, about TICKS of them."""
    raw = (high - low) / TICKS
    power = 10 ** math.floor(math.log10(raw))
    step = next(f * power for f in (1, 2, 5, 10) if f * power >= raw)
    first = math.ceil(low / step) * step
    return [round(first + i * step, 10) for i in range(int((high - first) / step) + 1)]


def _points(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
