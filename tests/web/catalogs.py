"""The site's message catalogs: extract the English msgids from the templates and the page code, and check
or update ``src/tocsin/web/locale/<lang>/LC_MESSAGES/<area>.po``.

One catalog per area of the site (``AREAS``): ``tocsin.po`` for the public pages, ``reports.po`` for the
residents' report form, ``ops.po`` for the operators' side, ``auth.po`` for signing in.
The app merges them at run time.

    python tests/web/catalogs.py check            # every msgid translated in ru, uk, en; no stale entries
    python tests/web/catalogs.py update [AREA]    # add new msgids (empty msgstr), drop stale ones

Then translate the empty entries (``msgstr ""``) in ru and uk; en's msgstr repeats the msgid.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

WEB = Path(__file__).resolve().parents[2] / "src" / "tocsin" / "web"
LANGS = ("ru", "uk", "en")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "t": None}
JINJA_OPTIONS = {
    "extensions": "jinja2.ext.i18n",
    "trimmed": "true",
    "trim_blocks": "true",
    "lstrip_blocks": "true",
}
# area → the files (globs under src/tocsin/web) whose strings its catalog holds
AREAS: dict[str, tuple[str, ...]] = {
    "tocsin": ("templates/*.html", "routes/public.py", "charts.py"),
    "reports": ("templates/report/*.html", "routes/reports.py"),
    "ops": ("templates/ops/*.html", "routes/ops*.py"),
    "auth": ("templates/auth/*.html", "routes/auth.py", "security.py"),
}


def _files(area: str) -> list[Path]:
    return sorted({p for pattern in AREAS[area] for p in WEB.glob(pattern)})


def extract(area: str = "tocsin") -> Catalog:
    """Every message one area uses, as a template catalog (msgid, plural, locations)."""
    catalog = Catalog(domain="tocsin", project="tocsin")
    for path in _files(area):
        method = "jinja2" if path.suffix == ".html" else "python"
        options = JINJA_OPTIONS if method == "jinja2" else {}
        for lineno, message, comments, context in extract_from_file(
            method, str(path), keywords=KEYWORDS, options=options
        ):
            catalog.add(
                message, None, [(str(path.relative_to(WEB)), lineno)], auto_comments=comments, context=context
            )
    return catalog


def po_path(lang: str, area: str = "tocsin") -> Path:
    return WEB / "locale" / lang / "LC_MESSAGES" / f"{area}.po"


def load(lang: str, area: str = "tocsin") -> Catalog:
    with po_path(lang, area).open("rb") as f:
        return read_po(f, locale=lang, domain="tocsin")


def _translated(msg) -> bool:
    return all(msg.string) if isinstance(msg.string, (tuple, list)) else bool(msg.string)


def problems() -> list[str]:
    """What is missing or stale in the catalogs (empty when they are complete)."""
    out = []
    for area in AREAS:
        template = extract(area)
        ids = {m.id for m in template if m.id}
        for lang in LANGS:
            if not po_path(lang, area).exists():
                if ids:
                    out.append(f"{lang}/{area}: no catalog at {po_path(lang, area)}")
                continue
            cat = load(lang, area)
            for msg in template:
                if not msg.id:
                    continue
                have = cat.get(msg.id)
                if have is None:
                    out.append(f"{lang}/{area}: missing {msg.id!r}")
                elif have.fuzzy or not _translated(have):
                    out.append(f"{lang}/{area}: untranslated {msg.id!r}")
            for msg in cat:
                if msg.id and msg.id not in ids:
                    out.append(f"{lang}/{area}: stale {msg.id!r}")
    return out


def update(areas: list[str]) -> None:
    for area in areas:
        template = extract(area)
        for lang in LANGS:
            path = po_path(lang, area)
            path.parent.mkdir(parents=True, exist_ok=True)
            cat = (
                load(lang, area) if path.exists() else Catalog(locale=lang, domain="tocsin", project="tocsin")
            )
            cat.update(template, no_fuzzy_matching=True)
            if lang == "en":
                for msg in cat:
                    if msg.id and not _translated(msg):
                        msg.string = msg.id
            with path.open("wb") as f:
                write_po(f, cat, width=110, omit_header=False, ignore_obsolete=True, include_lineno=False)


if __name__ == "__main__":
    if sys.argv[1:2] == ["update"]:
        update(sys.argv[2:] or list(AREAS))
    issues = problems()
    print("\n".join(issues) or "catalogs complete")
    sys.exit(1 if issues else 0)
