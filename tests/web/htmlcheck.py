"""A tiny HTML reader for the page tests (the standard library's parser: no extra dependency)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    text: str = ""
    children: list[Element] = field(default_factory=list)


VOID = {"meta", "link", "img", "br", "hr", "input", "source", "area", "base", "col", "embed", "wbr", "track"}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]
        self.all: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, dict(attrs))
        self.stack[-1].children.append(el)
        self.all.append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, dict(attrs))
        self.stack[-1].children.append(el)
        self.all.append(el)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        for el in self.stack[1:]:
            el.text += data


def parse(html: str) -> list[Element]:
    """Every element of the document, in document order, each with its whole text content."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.all


def find(elements: list[Element], tag: str, **attrs: str) -> list[Element]:
    out = []
    for el in elements:
        if el.tag != tag:
            continue
        if all(
            (el.attrs.get(k.rstrip("_")) or "").split().__contains__(v)
            if k.rstrip("_") == "class"
            else el.attrs.get(k.rstrip("_")) == v
            for k, v in attrs.items()
        ):
            out.append(el)
    return out


def squash(text: str) -> str:
    return " ".join(text.split())
