"""Rich rendering for the terminal: one Claim as a readable table, quoting the text it came from."""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from tocsin.domain import Claim

NOT_STATED = "not stated"
# Contract fields in reading order, with the label a resident or analyst would use.
FIELDS = [
    ("kind", "kind"),
    ("weapon", "weapon"),
    ("total_destroyed", "destroyed (total)"),
    ("launched", "launched"),
    ("per_region", "regions"),
    ("interceptors", "intercepted by"),
    ("period", "period"),
    ("killed", "killed"),
    ("injured", "injured"),
    ("infrastructure_damage", "infrastructure damage"),
    ("debris_fell", "debris fell"),
    ("fire", "fire"),
    ("emergency_response", "emergency services"),
    ("speaker", "speaker"),
]
_QUOTE_MAX = 80
_SPACE = re.compile(r"\s+")


def format_value(name: str, value: Any) -> str | None:
    """A contract value as words; ``None`` means "not stated" (never shown as 0)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name == "per_region":
        if not value:
            return None
        return ", ".join(
            f"{r['iso']}: {NOT_STATED if r.get('destroyed') is None else r['destroyed']}" for r in value
        )
    if name == "interceptors":
        return ", ".join(value) if value else None
    if name == "period":
        if not any(value.get(k) for k in ("text", "start", "end")):
            return None
        parts = [value["text"]] if value.get("text") else []
        if value.get("start") or value.get("end"):
            parts.append(f"{value.get('start') or '?'} → {value.get('end') or '?'}")
        return " · ".join(parts)
    return str(value)


def quote(text: str, span: Any) -> str:
    """The words of ``text`` at ``span`` as a short quotation (or a note when the span is invalid)."""
    try:
        start, end = int(span[0]), int(span[1])
    except (TypeError, ValueError, IndexError):
        return f"[invalid span {span!r}]"
    if not 0 <= start < end <= len(text):
        return f"[span {start}–{end} outside the text]"
    words = _SPACE.sub(" ", text[start:end]).strip()
    if len(words) > _QUOTE_MAX:
        words = words[: _QUOTE_MAX - 1] + "…"
    return f"“{words}”"


def claim_table(claim: Claim, text: str, *, lang: str | None = None) -> Group:
    """A header (language, kind, period) and a field | value | from the text table for one claim.

    ``lang`` is the language the caller gave, if any (shown as "given" rather than "detected").
    """
    data = claim.to_contract()
    evidence = data.get("evidence") or {}
    shown_lang = data.get("lang") or lang or "unknown"
    period = format_value("period", data["period"]) or NOT_STATED
    header = Text.assemble(
        ("language ", "dim"),
        f"{shown_lang} ({'given' if lang else 'detected'})",
        ("   kind ", "dim"),
        (data["kind"], "bold"),
        ("   period ", "dim"),
        period,
    )
    table = Table(show_lines=False, expand=False, header_style="bold")
    table.add_column("field", no_wrap=True)
    table.add_column("value")
    table.add_column("from the text", style="green")
    for name, label in FIELDS:
        shown = format_value(name, data.get(name))
        value = Text(NOT_STATED, style="dim italic") if shown is None else Text(shown)
        quotes = " … ".join(quote(text, s) for s in evidence.get(name, []))
        table.add_row(Text(label), value, Text(quotes))
    return Group(header, table)


def stderr_console() -> Console:
    """Messages and progress go to stderr, so stdout stays clean for data."""
    return Console(stderr=True, highlight=False, soft_wrap=True)
