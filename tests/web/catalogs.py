"""The public pages' message catalogs: extract the English msgids from the templates and the page code,
and check or update ``src/tocsin/web/locale/<lang>/LC_MESSAGES/tocsin.po``.

    python tests/web/catalogs.py check     # every msgid translated in ru, uk, en; no stale entries
    python tests/web/catalogs.py update    # add new msgids (empty msgstr), mark stale ones obsolete

Then translate the empty entries (``msgstr ""``) in ru and uk; en's msgstr repeats the msgid.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

WEB = Path(__file__).resolve().parents[2] / "src" / "tocsin" / "web"
LANGS = ("ru", "uk", "en")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "t": None}
METHOD_MAP = [
    ("templates/**.html", "jinja2"),
    ("routes/public.py", "python"),
    ("charts.py", "python"),
]
OPTIONS = {
    "templates/**.html": {
        "extensions": "jinja2.ext.i18n",
        "trimmed": "true",
        "trim_blocks": "true",
        "lstrip_blocks": "true",
    },
}


def extract() -> Catalog:
    """Every message the pages use, as a template catalog (msgid, plural, locations)."""
    catalog = Catalog(domain="tocsin", project="tocsin")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(WEB), method_map=METHOD_MAP, options_map=OPTIONS, keywords=KEYWORDS
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(lang: str) -> Path:
    return WEB / "locale" / lang / "LC_MESSAGES" / "tocsin.po"


def load(lang: str) -> Catalog:
    with po_path(lang).open("rb") as f:
        return read_po(f, locale=lang, domain="tocsin")


def _translated(msg) -> bool:
    return all(msg.string) if isinstance(msg.string, (tuple, list)) else bool(msg.string)


def problems() -> list[str]:
    """What is missing or stale in the catalogs (empty when they are complete)."""
    template = extract()
    out = []
    for lang in LANGS:
        if not po_path(lang).exists():
            out.append(f"{lang}: no catalog at {po_path(lang)}")
            continue
        cat = load(lang)
        for msg in template:
            if not msg.id:
                continue
            have = cat.get(msg.id)
            if have is None:
                out.append(f"{lang}: missing {msg.id!r}")
            elif have.fuzzy or not _translated(have):
                out.append(f"{lang}: untranslated {msg.id!r}")
        ids = {m.id for m in template if m.id}
        for msg in cat:
            if msg.id and msg.id not in ids:
                out.append(f"{lang}: stale {msg.id!r}")
    return out


def update() -> None:
    template = extract()
    for lang in LANGS:
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        cat = load(lang) if path.exists() else Catalog(locale=lang, domain="tocsin", project="tocsin")
        cat.update(template, no_fuzzy_matching=True)
        if lang == "en":
            for msg in cat:
                if msg.id and not _translated(msg):
                    msg.string = msg.id
        with path.open("wb") as f:
            write_po(f, cat, width=110, omit_header=False, ignore_obsolete=True, include_lineno=False)


if __name__ == "__main__":
    if sys.argv[1:] == ["update"]:
        update()
    issues = problems()
    print("\n".join(issues) or "catalogs complete")
    sys.exit(1 if issues else 0)
