"""Text → Claim: the statement extractor (``contract/extraction.md``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tocsin.extract.errors import MAX_CHARS, ExtractionError

if TYPE_CHECKING:
    from tocsin.domain import Claim


def extract(text: str, *, lang: str | None = None, published=None) -> Claim:
    """Extract one Claim from one statement (see ``tocsin.extract.core.extract``)."""
    from tocsin.extract.core import extract as _extract  # the rule modules load their data on first use

    return _extract(text, lang=lang, published=published)


__all__ = ["MAX_CHARS", "ExtractionError", "extract"]
