"""Bars for the gateway page's calls chart, laid out here and drawn by the template as inline SVG.

Server-side SVG needs no script, no CDN and no library, and it prints; the template only places what
this module measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

WIDTH = 720
HEIGHT = 160
GAP = 1


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    start: datetime
    count: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    peak: int


def bar_chart(points: list[tuple[datetime, int]], *, width: int = WIDTH, height: int = HEIGHT) -> Chart:
    """One bar per point, scaled to the highest; an empty range gives a chart with no bars."""
    peak = max((count for _, count in points), default=0)
    slot = width / len(points) if points else width
    bars = []
    for i, (start, count) in enumerate(points):
        bar_height = round(height * count / peak, 1) if peak else 0.0
        bars.append(
            Bar(
                x=round(i * slot, 2),
                y=round(height - bar_height, 1),
                width=round(max(slot - GAP, 1.0), 2),
                height=bar_height,
                start=start,
                count=count,
            )
        )
    return Chart(width, height, bars, peak)
