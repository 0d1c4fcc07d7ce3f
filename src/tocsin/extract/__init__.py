"""Text → Claim: the statement extractor (``contract/extraction.md``)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from tocsin.extract.errors import MAX_CHARS, ExtractionError

if TYPE_CHECKING:
    from collections.abc import Callable

    from tocsin.domain import Claim


def extract(text: str, *, lang: str | None = None, published=None) -> Claim:
    """Extract one Claim from one statement (see ``tocsin.extract.core.extract``)."""
    return _core()(text, lang=lang, published=published)


@cache
def _core() -> Callable[..., Claim]:
    # Imported on first use: the rule modules (and pymorphy3) load only when a statement is extracted.
    # Remembered, not re-imported per call: the import statement costs more than a short statement.
    from tocsin.extract.core import extract as _extract

    return _extract


__all__ = ["MAX_CHARS", "ExtractionError", "extract"]
