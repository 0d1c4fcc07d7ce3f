"""Server-side SVG charts of a region's counts (pygal), served as ``image/svg+xml``.

Honesty rules:

- an incident whose count no source disclosed is **not** a zero: the incidents chart stacks "count stated"
  and "count not disclosed" as two series, and the destroyed chart leaves a bucket with no stated count
  empty (pygal draws nothing for ``None``), never a bar of height 0;
- pygal's JavaScript is off (``js=[]``: its default loads a script from a CDN), and the SVG is its own
  document (an ``<img>`` on the page), so the page's strict CSP is not weakened by pygal's inline styles.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import pygal
from pygal.style import Style

# pygal appends a legacy import hook (for its map plugins, unused here) to sys.meta_path; it has no
# find_spec, so every later import of a module that does not exist (an optional dependency probed with
# try/except ImportError) raises an ImportWarning — an error under the test suite's warning filter.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2328",
    foreground_strong="#1f2328",
    foreground_subtle="#8c959f",
    opacity="1",
    opacity_hover="0.85",
    transition="0ms",
    colors=("#1849a9", "#98a2b3", "#b54708"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    title_font_size=15,
    value_font_size=11,
    tooltip_font_size=12,
)

DESTROYED_STYLE = Style(**{**STYLE.to_dict(), "colors": ("#b54708",)})


@dataclass(frozen=True, slots=True)
class Bucket:
    """One day or week: how many incidents, how many of them had a stated count, the stated sum."""

    label: str
    incidents: int
    undisclosed: int  # incidents with no stated count
    destroyed: int | None  # sum of the stated counts; None when no incident of the bucket stated one


@dataclass(frozen=True, slots=True)
class ChartText:
    """Translated labels (charts are rendered per language)."""

    title: str
    stated: str
    undisclosed: str
    destroyed: str
    no_data: str


def _y_labels(top: int) -> list[int]:
    """Whole-number ticks from 0 to at least ``top`` (counts have no fractions)."""
    top = max(top, 1)
    step = 1
    for candidate in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        step = candidate
        if top / candidate <= 6:
            break
    else:
        step = math.ceil(top / 6)
    last = math.ceil(top / step) * step
    return list(range(0, last + 1, step))


def _config(width: int, height: int, n: int, top: int) -> dict:
    labels = _y_labels(top)
    return {
        "js": [],  # no CDN script; the chart needs none
        "disable_xml_declaration": False,
        "style": STYLE,
        "width": width,
        "height": height,
        "explicit_size": False,  # scales with the <img> width (viewBox only)
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 2,
        "show_minor_x_labels": n <= 16,
        "x_labels_major_every": max(1, n // 8) if n > 16 else None,
        "x_label_rotation": 0 if n <= 8 else 35,
        "truncate_label": -1,
        "print_values": False,
        "y_labels": labels,
        "range": (0, labels[-1]),
        "value_formatter": lambda v: f"{v:g}",
        "no_data_text": "",
        "margin": 12,
        "spacing": 10,
        "include_x_axis": True,
    }


def incidents_chart(buckets: Sequence[Bucket], text: ChartText, width: int = 720, height: int = 320) -> str:
    """Stacked bars per bucket: incidents with a stated count, and (grey, on top) incidents whose count is
    not disclosed. A bucket without incidents has no bar."""
    top = max((b.incidents for b in buckets), default=0)
    chart = pygal.StackedBar(title=text.title, **_config(width, height, len(buckets), top))
    chart.no_data_text = text.no_data
    chart.x_labels = [b.label for b in buckets]
    chart.add(text.stated, [_none_if_zero(b.incidents - b.undisclosed) for b in buckets])
    chart.add(text.undisclosed, [_none_if_zero(b.undisclosed) for b in buckets])
    return _render(chart)


def destroyed_chart(buckets: Sequence[Bucket], text: ChartText, width: int = 720, height: int = 320) -> str:
    """Bars of the stated destroyed counts; buckets where nothing was stated stay empty (None)."""
    top = max((b.destroyed or 0 for b in buckets), default=0)
    config = _config(width, height, len(buckets), top)
    config["style"] = DESTROYED_STYLE
    chart = pygal.Bar(title=text.title, show_legend=False, **config)
    chart.no_data_text = text.no_data
    chart.x_labels = [b.label for b in buckets]
    chart.add(text.destroyed, [b.destroyed for b in buckets])
    return _render(chart)


def _none_if_zero(v: int) -> int | None:
    return v if v else None


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _render(chart) -> str:
    """The SVG text, made deterministic (same data → same bytes, so ETags hold) and script-free: pygal
    always embeds its config as a ``<script>`` and a random chart id; both go."""
    svg = chart.render(is_unicode=True)
    svg = _SCRIPT.sub("", svg)
    svg = _COMMENT.sub("", svg)
    uid = chart.uuid
    return svg.replace(f"chart-{uid}", "chart").replace(uid, "chart")
