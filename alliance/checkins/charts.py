"""Server-rendered SVG charts that read without JavaScript.

This module computes geometry (coordinates, tick positions, labels). A line chart writes its
own markup (`LineChart.svg`, one string build: drawn through template loops, a long history's
points cost most of a page's time, benchmark 5), escaping every label; the bar chart's markup
lives in `templates/checkins/reports/_bar_chart.html`. Charts carry a `<title>` and `<desc>`
and sit next to a data table with the same numbers, so nothing is shown only as a picture.
No inline styles or scripts (the CSP forbids them): colours are SVG presentation attributes,
refined by classes in static/css/rapport.css.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PERCENT_TICKS = (0, 25, 50, 75, 100)
# Small multiples label fewer ticks, on the same 0-100% scale as every other chart, so the
# practices can be compared at a glance.
COMPACT_PERCENT_TICKS = (0, 50, 100)


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    label: str  # e.g. "Mar 12: 78%", shown as the point's tooltip


@dataclass(frozen=True)
class Tick:
    position: float  # x for a date tick, y for a percent tick
    label: str


@dataclass
class LineChart:
    """A percent-over-time line chart. `segments` are polyline `points` strings: a check-in
    without a score breaks the line instead of being drawn as zero."""

    chart_id: str
    title: str
    desc: str
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    segments: list[str] = field(default_factory=list)
    points: list[ChartPoint] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    threshold: Tick | None = None
    compact: bool = False

    @property
    def title_id(self) -> str:
        return f"{self.chart_id}-title"

    @property
    def desc_id(self) -> str:
        return f"{self.chart_id}-desc"

    @property
    def y_label_x(self) -> float:
        return self.left - (4 if self.compact else 6)

    @property
    def x_label_y(self) -> float:
        return self.bottom + (14 if self.compact else 18)

    @property
    def font_size(self) -> int:
        return 11 if self.compact else 12

    def svg(self) -> SafeString:
        """The chart as inline SVG: a `<title>` and `<desc>` named by `aria-labelledby`,
        presentation attributes only (the CSP forbids inline styles). Coordinates are written
        unlocalized ("12,5" is not an SVG number); every label is escaped. It spans its box
        (CSS: width 100%, height from the viewBox proportions)."""
        compact = " chart-compact" if self.compact else ""
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart{compact}" '
            f'viewBox="0 0 {self.width} {self.height}" preserveAspectRatio="xMidYMid meet" '
            f'role="img" aria-labelledby="{self.title_id} {self.desc_id}">\n'
            f'  <title id="{self.title_id}">{escape(self.title)}</title>\n'
            f'  <desc id="{self.desc_id}">{escape(self.desc)}</desc>\n'
            '  <g class="chart-grid" stroke="#d9d4c7" stroke-width="1">'
        ]
        parts += [
            f'\n    <line x1="{self.left}" x2="{self.right}" y1="{tick.position}" '
            f'y2="{tick.position}"/>'
            for tick in self.y_ticks
        ]
        parts.append(
            f'\n  </g>\n  <g class="chart-label" fill="#52606d" font-size="{self.font_size}" '
            'text-anchor="end">'
        )
        parts += [
            f'\n    <text x="{self.y_label_x}" y="{tick.position}" dy="4">'
            f"{escape(tick.label)}</text>"
            for tick in self.y_ticks
        ]
        parts.append(
            f'\n  </g>\n  <g class="chart-label" fill="#52606d" font-size="{self.font_size}">'
        )
        last = len(self.x_ticks) - 1
        for index, tick in enumerate(self.x_ticks):
            if last == 0:
                anchor = "middle"
            else:
                anchor = "start" if index == 0 else "end" if index == last else "middle"
            parts.append(
                f'\n    <text x="{tick.position}" y="{self.x_label_y}" text-anchor="{anchor}">'
                f"{escape(tick.label)}</text>"
            )
        parts.append("\n  </g>")
        if self.threshold:
            parts.append(
                f'\n  <line class="chart-threshold" x1="{self.left}" x2="{self.right}" '
                f'y1="{self.threshold.position}" y2="{self.threshold.position}" '
                'stroke="#9b1c1c" stroke-width="1.5" stroke-dasharray="6 4"/>'
            )
        parts.append(
            '\n  <g class="chart-line" fill="none" stroke="#1d5c63" '
            f'stroke-width="{2 if self.compact else 3}" stroke-linejoin="round" '
            'stroke-linecap="round">'
        )
        parts += [f'\n    <polyline points="{points}"/>' for points in self.segments]
        parts.append(
            '\n  </g>\n  <g class="chart-point" fill="#1d5c63" stroke="#ffffff" stroke-width="1.5">'
        )
        radius = 3 if self.compact else 4.5
        parts += [
            f'\n    <circle cx="{point.x}" cy="{point.y}" r="{radius}">'
            f"<title>{escape(point.label)}</title></circle>"
            for point in self.points
        ]
        parts.append("\n  </g>\n</svg>")
        return mark_safe("".join(parts))  # noqa: S308 - built above, every label escaped


def _date_label(when: datetime) -> str:
    return formats.date_format(timezone.localtime(when), "SHORT_DATE_FORMAT")


def _percent_label(value: float) -> str:
    return f"{formats.number_format(value, decimal_pos=0 if value == int(value) else 1)}%"


def line_chart(
    series: list[tuple[datetime, float | None]],
    *,
    chart_id: str,
    title: str,
    desc: str,
    width: int = 640,
    height: int = 240,
    threshold: float | None = None,
    threshold_label: str = "",
    compact: bool = False,
    date_labels: dict | None = None,
) -> LineChart:
    """Lay out `series` (time, percent 0-100 or None), oldest first, on a 0-100 y axis.

    Points are spaced by time, not by index, so a long gap between check-ins shows as one.
    A compact chart (small multiples) labels fewer ticks (0, 50 and 100%, the first and last
    date) in a smaller type; the scale is the same 0-100% as the full chart's. Charts of the
    same dates may share `date_labels` (a dict), so each date (and each percent) is formatted
    once."""
    pad_left = 34 if compact else 44
    pad_right = 10 if compact else 16
    pad_top = 8 if compact else 12
    pad_bottom = 20 if compact else 28
    chart = LineChart(
        chart_id=chart_id,
        title=title,
        desc=desc,
        width=width,
        height=height,
        left=pad_left,
        right=width - pad_right,
        top=pad_top,
        bottom=height - pad_bottom,
        compact=compact,
    )

    def y_of(percent: float) -> float:
        clamped = min(max(percent, 0.0), 100.0)
        return round(chart.bottom - (chart.bottom - chart.top) * clamped / 100, 1)

    ticks = COMPACT_PERCENT_TICKS if compact else PERCENT_TICKS
    chart.y_ticks = [Tick(y_of(value), f"{value}%") for value in ticks]
    if threshold is not None:
        chart.threshold = Tick(y_of(threshold), threshold_label)
    if not series:
        return chart

    first, last = series[0][0], series[-1][0]
    span = (last - first).total_seconds()

    def x_of(when: datetime) -> float:
        if span <= 0:
            return round((chart.left + chart.right) / 2, 1)
        share = (when - first).total_seconds() / span
        return round(chart.left + (chart.right - chart.left) * share, 1)

    labels = {} if date_labels is None else date_labels
    run: list[str] = []
    for when, percent in series:
        if percent is None:
            if run:
                chart.segments.append(" ".join(run))
            run = []
            continue
        x, y = x_of(when), y_of(percent)
        run.append(f"{x},{y}")
        label = labels.get(when)
        if label is None:
            label = labels[when] = _date_label(when)
        value_label = labels.get(percent)  # floats and datetimes never collide as keys
        if value_label is None:
            value_label = labels[percent] = _percent_label(percent)
        chart.points.append(ChartPoint(x, y, f"{label}: {value_label}"))
    if run:
        chart.segments.append(" ".join(run))

    chart.x_ticks = [Tick(x_of(first), _date_label(first))]
    if span > 0:
        chart.x_ticks.append(Tick(x_of(last), _date_label(last)))
    return chart


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: float
    width: float
    value_x: float
    text_y: float


@dataclass
class BarChart:
    """Horizontal bars with their labels and counts written out."""

    chart_id: str
    title: str
    desc: str
    width: int
    height: int
    bar_left: float
    bar_height: float
    bars: list[Bar] = field(default_factory=list)

    @property
    def title_id(self) -> str:
        return f"{self.chart_id}-title"

    @property
    def desc_id(self) -> str:
        return f"{self.chart_id}-desc"

    @property
    def label_x(self) -> float:
        return self.bar_left - 8


def bar_chart(
    rows: list[tuple[str, int]],
    *,
    chart_id: str,
    title: str,
    desc: str,
    width: int = 520,
    row_height: int = 34,
    label_width: int = 120,
) -> BarChart:
    """Lay out one horizontal bar per (label, count), scaled to the largest count."""
    bar_height = row_height - 10
    value_room = 48
    chart = BarChart(
        chart_id=chart_id,
        title=title,
        desc=desc,
        width=width,
        height=max(row_height * len(rows), row_height),
        bar_left=label_width,
        bar_height=bar_height,
    )
    largest = max((value for _label, value in rows), default=0)
    room = width - label_width - value_room
    for index, (label, value) in enumerate(rows):
        bar_width = round(room * value / largest, 1) if largest else 0.0
        chart.bars.append(
            Bar(
                label=label,
                value=value,
                y=index * row_height + 5,
                width=bar_width,
                value_x=label_width + bar_width + 6,
                text_y=index * row_height + 5 + bar_height / 2 + 5,
            )
        )
    return chart
