"""Numbers in text: digits, number words (ru/uk/en), qualifiers and the context a number stands in.

``find_numbers(text, lang)`` walks the tokens of a prepared :class:`~tocsin.extract.tokens.Text` once
and returns every number it finds, left to right and non-overlapping:

* digits ("9", "105", "1 200" with a space/nbsp thousands group, "5,000" in English, "1,5" / "1.2"
  decimals, "5 тыс.", "1,2 млн", "2 десятка");
* Russian / Ukrainian cardinal words in every case and gender ("двадцати трёх", "двісті сорок",
  "тысяча двести"), collectives ("двое", "троих", "обоих", "дев'ятьох"), ordinals ("второй", "перший");
* English words ("twenty-three", "one hundred and five", "a dozen", "two dozen", "half a dozen");
* vague quantities ("несколько", "кілька", "several", "a few", "dozens", "десятки", "полтора десятка")
  as ``value=None, qualifier="vague"``;
* a qualifier immediately before the number ("не менее", "около", "понад", "at least", "up to"), at most
  one filler word ("уже", "ще", "just") in between;
* the context that makes a number something other than a count: clock time, date, year, percent,
  decimal, ordinal, money, identifier, measure.

All word forms are generated once per language (pymorphy3 lexemes, see :mod:`tocsin.extract.morph`),
so the hot path is one dictionary look-up per token. Time is linear in the text length and nothing
raises on hostile input.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from itertools import compress

from tocsin.extract.morph import analyzer
from tocsin.extract.tokens import Text, Token, prepare

__all__ = ["Number", "find_numbers", "number_to_words", "parse_number_words", "warm_up"]


@dataclass(slots=True, unsafe_hash=True)
class Number:
    """One number found in a text (see the module docstring).

    Slotted (not frozen: a frozen one is slow to build; slot reads are the fastest). Compared and hashed by
    value. Don't modify one.
    """

    value: int | None
    start: int
    end: int
    tok_start: int
    tok_end: int
    word: bool
    qualifier: str | None
    qual_start: int | None
    collective: bool
    context: str | None


# --- lexicon ------------------------------------------------------------------------------------------

# Token kinds.
(K_ZERO, K_UNIT, K_TEEN, K_TENS, K_HUND, K_SCALE, K_MULT, K_HALF, K_VAGUE, K_EN_HUNDRED, K_A, K_EN_HALF) = (
    range(12)
)
# Flags.
F_ORD = 1  # ordinal
F_COLL = 2  # collective / person form
F_PLUR = 4  # plural-only form of a scale or multiplier word ("тысяч", "десятков")
F_AMBIG = 8  # singular genitive or plural ("тысячи", "десятки")
F_SCALEISH = 16  # a vague word that can follow "tens of" ("thousands")

MAX_VALUE = 10**9
_MAX_MEMO = 100_000  # words remembered per language (bounded: hostile input must not grow it forever)
_DIGITS = frozenset("0123456789")
_WS = frozenset(" \t\r\n\f\v")


@dataclass(slots=True)
class _Lexicon:
    lang: str
    words: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    scale_abbr: dict[str, int] = field(default_factory=dict)
    quals: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)
    fillers: frozenset[str] = frozenset()
    ctx: dict[str, str] = field(default_factory=dict)  # next word → context ("month", "year", ...)
    ctx_phrases: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)
    id_before: frozenset[str] = frozenset()
    not_one_after: frozenset[str] = frozenset()
    candidates: dict[str, bool] = field(default_factory=dict)  # word → can it be (part of) a number


def _kind_of(value: int) -> int:
    if value == 0:
        return K_ZERO
    if value < 10:
        return K_UNIT
    if value < 20:
        return K_TEEN
    if value < 100:
        return K_TENS
    if value < 1000:
        return K_HUND
    return K_SCALE


def _clean(word: str) -> str:
    return word.lower().replace("ё", "е").replace("’", "'").replace("ʼ", "'")


def _lexeme(lemma: str, lang: str, pos: frozenset[str] | None) -> dict[str, set[str]]:
    """Every form of ``lemma`` (parses whose normal form is the lemma) → the grammatical numbers seen."""
    out: dict[str, set[str]] = {_clean(lemma): set()}
    target = _clean(lemma)
    for parse in analyzer(lang).parse(lemma):
        if pos and parse.tag.POS not in pos:
            continue
        if _clean(parse.normal_form) != target:
            continue
        for form in parse.lexeme:
            out.setdefault(_clean(form.word), set()).add(form.tag.number or "sing")
    if lang == "uk":  # accept a missing apostrophe ("девятьох")
        for form in list(out):
            if "'" in form:
                out.setdefault(form.replace("'", ""), out[form])
    return out


@cache
def _data() -> dict:
    raw = resources.files("tocsin").joinpath("data", "lexicon", "numbers.toml").read_bytes()
    return tomllib.loads(raw.decode("utf-8"))


def _add(words: dict, form: str, entry: tuple[int, int, int]) -> None:
    if form and form not in words:
        words[form] = entry


def _phrases(items: dict[str, list[str]]) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    out: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for label, phrases in items.items():
        for phrase in phrases:
            ws = tuple(_clean(phrase).split())
            out.setdefault(ws[-1], []).append((ws, label))
    for lst in out.values():
        lst.sort(key=lambda p: -len(p[0]))
    return out


_CTX_KEYS = ("months", "year", "percent", "money", "measure", "time")
_CTX_LABEL = {
    "months": "month",
    "year": "year",
    "percent": "percent",
    "money": "money",
    "measure": "measure",
    "time": "time",
}


def _build_slavic(lang: str) -> _Lexicon:
    d = _data()[lang]
    lex = _Lexicon(lang)
    words = lex.words
    exclude = set(d["words"]["exclude"])
    ambiguous = set(d["words"]["ambiguous"])
    num_pos = frozenset({"NUMR", "ADJF"})
    for lemma, value in d["cardinal"].items():
        kind = _kind_of(value)
        for form in _lexeme(lemma, lang, num_pos if value else frozenset({"NOUN"})):
            if form in exclude:
                continue
            flags = F_AMBIG if form in ambiguous else 0
            if lang == "uk" and value >= 5 and form.endswith(("ох", "ом", "ома")):
                flags |= F_COLL  # "п'ятьох", "дев'ятьом": the person forms
            _add(words, form, (kind, value, flags))
    for lemma, value in d["collective"].items():
        for form in _lexeme(lemma, lang, frozenset({"NUMR"})):
            _add(words, form, (K_UNIT if value < 10 else K_TEEN, value, F_COLL))
    for lemma, value in d["scale"].items():
        for form, numbers in _lexeme(lemma, lang, frozenset({"NOUN"})).items():
            flags = F_AMBIG if numbers == {"sing", "plur"} else F_PLUR if numbers == {"plur"} else 0
            _add(words, form, (K_SCALE, value, flags))
    for lemma, value in d["multiplier"].items():
        for form, numbers in _lexeme(lemma, lang, frozenset({"NOUN"})).items():
            flags = F_AMBIG if numbers == {"sing", "plur"} else F_PLUR if numbers == {"plur"} else 0
            _add(words, form, (K_MULT, value, flags))
    for lemma, value in d["ordinal"].items():
        for form in _lexeme(lemma, lang, frozenset({"ADJF"})):
            _add(words, form, (_kind_of(value), value, F_ORD))
    for form in d["words"]["half"]:
        _add(words, _clean(form), (K_HALF, 0, 0))
    for form in d["words"]["vague"]:
        _add(words, _clean(form), (K_VAGUE, 0, 0))
    lex.scale_abbr = {_clean(k): v for k, v in d["scale_abbr"].items()}
    lex.quals = _phrases(d["qualifier"])
    lex.fillers = frozenset(_clean(w) for w in d["words"]["fillers"])
    ctx = d["context"]
    for key in _CTX_KEYS:
        for lemma in ctx[key]:
            if " " in lemma:
                continue
            for form in _lexeme(lemma, lang, None):
                lex.ctx.setdefault(form, _CTX_LABEL[key])
    lex.id_before = frozenset(
        f for lemma in ctx["id_before"] for f in _lexeme(lemma, lang, frozenset({"NOUN"}))
    )
    return lex


def _build_en() -> _Lexicon:
    d = _data()["en"]
    lex = _Lexicon("en")
    words = lex.words
    for table in ("units", "teens", "tens"):
        for w, v in d[table].items():
            words[w] = (_kind_of(v), v, 0)
    ord_units = {v: w for w, v in d["ordinals"].items() if v < 10}
    for w, v in d["ordinals"].items():
        words[w] = (_kind_of(v), v, F_ORD)
    for tw, tv in d["tens"].items():  # "twenty-three", "forty-first": tens and units in one token
        for uw, uv in d["units"].items():
            if uv:
                words[f"{tw}-{uw}"] = (K_TEEN, tv + uv, 0)
                words[f"{tw}-{ord_units[uv]}"] = (K_TEEN, tv + uv, F_ORD)
    for w, v in d["scale"].items():
        words[w] = (K_SCALE, v, 0)
    words["hundred"] = (K_EN_HUNDRED, 100, 0)
    words["dozen"] = (K_MULT, 12, 0)
    for w in d["vague"]:
        words[w] = (K_VAGUE, 0, F_SCALEISH if w in ("hundreds", "thousands", "millions", "dozens") else 0)
    words["a"] = words["an"] = (K_A, 1, 0)
    words["half"] = (K_EN_HALF, 0, 0)
    lex.scale_abbr = dict(d["scale_abbr"])
    lex.quals = _phrases(d["qualifier"])
    lex.fillers = frozenset(d["fillers"])
    ctx = d["context"]
    for key in _CTX_KEYS:
        for w in ctx[key]:
            if " " in w:
                ws = tuple(w.split())
                lex.ctx_phrases.setdefault(ws[0], []).append((ws, _CTX_LABEL[key]))
            else:
                lex.ctx.setdefault(w, _CTX_LABEL[key])
    lex.id_before = frozenset(ctx["id_before"])
    lex.not_one_after = frozenset(d["not_one_after"])
    return lex


@cache
def _lexicon(lang: str) -> _Lexicon:
    if lang in ("ru", "uk"):
        return _build_slavic(lang)
    return _build_en()


def warm_up() -> None:
    """Build the lexicons of all three languages (form expansion) ahead of the first text."""
    for lang in ("ru", "uk", "en"):
        _lexicon(lang)


# --- scanning -----------------------------------------------------------------------------------------


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_ORD_SUFFIX = {
    "ru": _set("й я е го му м ю ой ый ий ая ое ого ому ым ом ых ую ей"),
    "uk": _set("й а е го му ї ий ій ого ому ої ою та тя ша га ге те ше ту тю шу гу ми"),
    "en": _set("st nd rd th"),
}
_CARD_SUFFIX = _set("ти ми мя ью ех ох ьох ма ем тью")
_TIME_SUFFIX = _set("am pm a.m p.m")
_UNIT_SUFFIX = _set("km m kg mm cm ha mw kw gw h hrs min кг км м мм см т га л мвт квт ч год хв")
_YEAR_PREP = {
    "ru": frozenset(("в", "с", "до", "по")),
    "uk": frozenset(("в", "у", "з", "до", "по")),
    "en": frozenset(("in", "since", "until", "during", "by", "of", "from")),
}
_AFTER_YEAR = frozenset(("по", "до", "and", "to", "года", "году", "року", "рік", "г", "р"))

_SUFFIX_RE = re.compile(r"([0-9]+)(-?)([^\W\d_][\w'\-]*)\Z")
_RANGE_RE = re.compile(r"[0-9]+(?:-[0-9]+)+\Z")
_TRAIL_DIG = re.compile(r"[0-9]+\Z")
_AMPM = re.compile(r" ?[ap]\.? ?m\b")


def _ws(s: str) -> bool:
    """True when ``s`` is non-empty and only whitespace (a gap between two words of one phrase)."""
    return bool(s) and s.isspace()


def _intval(digits: str) -> int | None:
    if len(digits) > 10:
        return None
    v = int(digits)
    return v if v <= MAX_VALUE else None


class _Scan:
    """One pass over a text; the methods return a Number or None for the token at ``i``."""

    __slots__ = ("en", "lang", "lex", "n", "norm", "raw", "toks", "words")

    def __init__(self, text: Text, lang: str) -> None:
        self.lex = _lexicon(lang)
        self.lang = lang
        self.en = lang == "en"
        self.toks = text.tokens
        self.norm = text.norm
        self.raw = text.raw
        self.n = len(text.tokens)
        self.words = self.lex.words

    # -- helpers -----------------------------------------------------------------------------------
    def _next_word(self, j: int, end: int) -> Token | None:
        """The token ``j`` if it follows offset ``end`` after whitespace only."""
        if j < self.n:
            t = self.toks[j]
            if _ws(self.norm[end : t.start]):
                return t
        return None

    def _entry(self, j: int, end: int) -> tuple[int, int, int] | None:
        t = self._next_word(j, end)
        return None if t is None else self.words.get(t.norm)

    def _qualifier(self, ts: int, start: int) -> tuple[str | None, int | None]:
        toks, norm, quals = self.toks, self.norm, self.lex.quals
        k = ts - 1
        if k < 0 or not _ws(norm[toks[k].end : start]):
            return None, None
        ends = [k]
        if toks[k].norm in self.lex.fillers and k > 0 and _ws(norm[toks[k - 1].end : toks[k].start]):
            ends.insert(0, k - 1)
        for e in ends:
            for phrase, label in quals.get(toks[e].norm, ()):
                m = len(phrase)
                b = e - m + 1
                if b < 0:
                    continue
                ok = True
                for q in range(m - 1):
                    t = toks[b + q]
                    if t.norm != phrase[q] or not _ws(norm[t.end : toks[b + q + 1].start]):
                        ok = False
                        break
                if ok:
                    return label, toks[b].start
        return None, None

    def _context(self, ts: int, te: int, start: int, end: int, value: int | None, word: bool) -> str | None:
        toks, norm, lex = self.toks, self.norm, self.lex
        # characters right before / after
        b = start - 1
        if b >= 0 and norm[b] == " ":
            b -= 1
        if b >= 0:
            pc = norm[b]
            if pc in "№#":
                return "id"
            if pc in "$€£₴₽¥":
                return "money"
            if pc == "/" and b == start - 1 and ts > 0 and toks[ts - 1].end == b:
                prev = toks[ts - 1].norm
                if not prev.isdigit() and any(c in _DIGITS for c in prev):
                    return "id"  # "Х-59/69", "Shahed-136/131"
        a = end
        if a < len(norm) and norm[a] == " ":
            a += 1
        if a < len(norm) and norm[a] == "%":
            return "percent"
        nt = self._next_word(te, end)
        if nt is None and end < len(norm) and norm[end] == "." and toks[te - 1].norm in lex.scale_abbr:
            nt = self._next_word(te, end + 1)  # "5 тыс. рублей"
        if nt is not None:
            w = nt.norm
            c = lex.ctx.get(w)
            if c is None and w in lex.ctx_phrases:
                for phrase, label in lex.ctx_phrases[w]:
                    m = len(phrase)
                    if te + m <= self.n and all(toks[te + q].norm == phrase[q] for q in range(m)):
                        c = label
                        break
            if c is not None:
                if c == "month":
                    if value is not None and 1 <= value <= 31:
                        return "date"
                elif c == "year":
                    return "year" if value is not None and 1000 <= value <= 2100 and not word else "measure"
                elif c == "time":
                    if value is None or value <= 24 or (not word and 100 <= value <= 2359):
                        return "time"
                elif w == "m" and value is not None and value <= 12 and not word:
                    pass  # "8 a.m." is handled below; "5 m" is a measure
                else:
                    return c
            if self.en and value is not None and value <= 12 and _AMPM.match(norm, end):
                return "time"
        if ts > 0:
            pt = toks[ts - 1]
            gap = norm[pt.end : start]
            if _ws(gap) or gap in (". ", "."):
                pw = pt.norm
                if pw in lex.id_before and (not self.en or pw != "no" or self.raw[pt.start] == "N"):
                    return "id"
                if _ws(gap) and value is not None and not word and lex.ctx.get(pw) == "month":
                    if 1 <= value <= 31:
                        return "date"
                    if 1900 <= value <= 2100:
                        return "year"
        if value is not None and 1900 <= value <= 2100 and not word and end - start == 4 and ts > 0:
            # "7 декабря 2024", "Dec 7, 2024", "in 2024."
            p1 = toks[ts - 1].norm
            if lex.ctx.get(p1) == "month":
                return "year"
            if ts > 1 and p1.isdigit() and lex.ctx.get(toks[ts - 2].norm) == "month":
                return "year"
            if p1 in _YEAR_PREP[self.lang] and _ws(norm[toks[ts - 1].end : start]):
                nt2 = te < self.n and toks[te]
                if not nt2 or not _ws(norm[end : nt2.start]) or nt2.norm in _AFTER_YEAR:
                    return "year"
        return None

    def _emit(
        self,
        ts: int,
        te: int,
        start: int,
        end: int,
        value: int | None,
        *,
        word: bool,
        qual: str | None = None,
        qual_start: int | None = None,
        coll: bool = False,
        ctx: str | None = None,
    ) -> Number:
        if ctx is None:
            ctx = self._context(ts, te, start, end, value, word)
        elif not ctx:  # "" = context already looked at, none found
            ctx = None
        if qual != "vague":
            q, qs = self._qualifier(ts, start)
            if q is not None:
                qual, qual_start = q, qs
        if value is not None and value > MAX_VALUE:
            value = None
        return Number(value, start, end, ts, te, word, qual, qual_start, coll, ctx)

    # -- vague quantities ---------------------------------------------------------------------------
    def vague(self, ts: int, i: int) -> Number:
        """A vague word at ``i`` (span from token ``ts``), merged with following scale words."""
        toks, words = self.toks, self.words
        j = i + 1
        end = toks[i].end
        while j < self.n:
            t = self._next_word(j, end)
            if t is None:
                break
            e = words.get(t.norm)
            if self.en and t.norm == "of":
                t2 = self._next_word(j + 1, t.end)
                e2 = t2 and words.get(t2.norm)
                if e2 and (e2[0] in (K_SCALE, K_MULT) or e2[2] & F_SCALEISH):
                    j += 2
                    end = t2.end
                    continue
                break
            if e is None or not (e[0] in (K_SCALE, K_MULT, K_EN_HUNDRED) or e[2] & F_SCALEISH):
                break
            end = t.end
            j += 1
        start = toks[ts].start
        return self._emit(ts, j, start, end, None, word=True, qual="vague", qual_start=start)

    # -- number words -------------------------------------------------------------------------------
    def words_at(self, i: int) -> Number | None:
        toks, words, norm = self.toks, self.words, self.norm
        kind, _, fl = words[toks[i].norm]
        ts = i
        if kind == K_VAGUE:
            return self.vague(i, i)
        if fl & F_AMBIG and kind == K_UNIT:  # "семью": the family, unless an instrumental plural follows
            t = self._next_word(i + 1, toks[i].end)
            alone = i + 1 == self.n and not norm[toks[i].end :].strip()  # a bare number word
            if not alone and (t is None or not t.norm.endswith("ми")):
                return None
        if kind == K_A:  # English article: only inside "a hundred", "a dozen", "a few", "a couple of"
            t = self._next_word(i + 1, toks[i].end)
            if t is None:
                return None
            w = t.norm
            e = words.get(w)
            if e is not None and e[0] in (K_EN_HUNDRED, K_SCALE, K_MULT) and not e[2] & F_ORD:
                return self.sequence(i + 1, ts)
            if w == "few":
                return self.vague(i, i + 1)
            if w in ("number", "handful"):
                t2 = self._next_word(i + 2, t.end)
                if t2 is not None and t2.norm == "of":
                    return self._emit(
                        i,
                        i + 2,
                        toks[i].start,
                        t.end,
                        None,
                        word=True,
                        qual="vague",
                        qual_start=toks[i].start,
                    )
                return None
            if w == "couple":
                return self._emit(
                    i, i + 2, toks[i].start, t.end, 2, word=True, qual="approx", qual_start=toks[i].start
                )
            return None
        if kind == K_EN_HALF:  # "half a dozen", "half a million"
            t = self._next_word(i + 1, toks[i].end)
            t2 = t is not None and t.norm in ("a", "an") and self._next_word(i + 2, t.end)
            e = t2 and words.get(t2.norm)
            if e and e[0] in (K_MULT, K_SCALE, K_EN_HUNDRED):
                return self._emit(i, i + 3, toks[i].start, t2.end, e[1] // 2, word=True)
            return None
        if kind == K_HALF:  # "полтора десятка" (vague), "полторы тысячи" (1500)
            t = self._next_word(i + 1, toks[i].end)
            e = t is not None and words.get(t.norm)
            if e and e[0] == K_SCALE:
                return self._emit(i, i + 2, toks[i].start, t.end, e[1] * 3 // 2, word=True)
            if e and e[0] == K_MULT:
                start = toks[i].start
                return self._emit(i, i + 2, start, t.end, None, word=True, qual="vague", qual_start=start)
            return self._emit(i, i + 1, toks[i].start, toks[i].end, None, word=True, ctx="decimal")
        if kind == K_MULT:
            if self.en:  # a bare "dozen"
                return self.sequence(i, ts)
            return self.vague(i, i)  # "десяток", "десятки", "сотни"
        if kind == K_SCALE and fl & (F_PLUR | F_AMBIG):
            if fl & F_PLUR:
                return self.vague(i, i)
            # "тысячи": "более тысячи" (one thousand) or "тысячи дронов" (thousands)
            q, _ = self._qualifier(i, toks[i].start)
            if q is None and not (i > 0 and toks[i - 1].norm in ("из", "з", "до", "от", "від", "с")):
                return self.vague(i, i)
        num = self.sequence(i, ts)
        if num is not None and self.en and num.tok_end == i + 1 and toks[i].norm == "one":
            after_det = (
                i > 0
                and toks[i - 1].norm in self.lex.not_one_after
                and _ws(norm[toks[i - 1].end : toks[i].start])
            )
            if after_det or (i + 1 < self.n and toks[i + 1].norm == "another"):
                return None  # "no one", "the one", "one another"
        return num

    def sequence(self, i: int, ts: int) -> Number | None:
        """Parse a run of cardinal words from token ``i``; the span starts at token ``ts``."""
        toks, words, en = self.toks, self.words, self.en
        total = group = 0
        last = 4  # 4 fresh group, 3 hundreds set, 2 tens set, 1 units set
        hund = False
        last_scale = MAX_VALUE * 1000
        ordinal = coll = approx = False
        j = i
        end = toks[i].start
        if ts < i:  # "a hundred", "a dozen": the article counts as one
            group, last = 1, 1
            end = toks[ts].end
        while j < self.n:
            t = toks[j]
            if (j > i or ts < i) and not _ws(self.norm[end : t.start]):
                break
            e = words.get(t.norm)
            if e is None:
                if (
                    en
                    and t.norm == "and"
                    and (hund or (total and not group))
                    and last >= 2
                    and (e2 := self._entry(j + 1, t.end)) is not None
                    and e2[0] in (K_UNIT, K_TEEN, K_TENS)
                ):
                    end = t.end
                    j += 1
                    continue
                break
            k, v, f = e
            if k == K_ZERO:
                if j > i or ts < i:
                    break
                group, last = 0, 0
            elif k == K_UNIT:
                if last < 2:
                    break
                group += v
                last = 1
            elif k == K_TEEN:
                if last < 3:
                    break
                group += v
                last = 1
            elif k == K_TENS:
                if last < 3:
                    break
                group += v
                last = 2
            elif k == K_HUND:
                if last < 4:
                    break
                group += v
                hund = True
                last = 3
            elif k == K_EN_HUNDRED:
                if hund or not 0 < group < 100:
                    break
                group *= 100
                hund = True
                last = 3
            elif k == K_SCALE:
                if v >= last_scale or (group == 0 and j > i) or (f & F_PLUR and group == 0):
                    break
                total += max(group, 1) * v
                group, last, hund, last_scale = 0, 4, False, v
                if total > MAX_VALUE:
                    total = MAX_VALUE + 1
            elif k == K_MULT:
                if j > i and group == 0:
                    break
                if ts == i and j == i:  # a bare "dozen"
                    group = 1
                group *= v
                approx = not en
                end = t.end
                j += 1
                break
            else:
                break
            end = t.end
            j += 1
            if f & F_ORD:
                ordinal = True
                break
            if f & F_COLL:
                coll = True
                break
            if k == K_ZERO:
                break
        if j == i:
            return None
        value = total + group
        start = toks[ts].start
        return self._emit(
            ts,
            j,
            start,
            end,
            value,
            word=True,
            coll=coll,
            qual="approx" if approx else None,
            qual_start=start if approx else None,
            ctx="ordinal" if ordinal else None,
        )

    # -- digits -------------------------------------------------------------------------------------
    def digits_at(self, i: int) -> Number | None:
        toks, lang = self.toks, self.lang
        tok = toks[i]
        s = tok.norm
        if s.isdigit():
            if not s.isascii():
                return None
            return self._literal(i)
        if not s.isascii() and not s[0].isascii():
            return None
        m = _SUFFIX_RE.match(s)
        if m is not None:
            digits, hyphen, suffix = m.group(1), m.group(2), m.group(3)
            value = _intval(digits)
            start, end = tok.start, tok.start + len(digits)
            ctx: str | None
            if suffix in _ORD_SUFFIX[lang] or (lang != "en" and suffix in _ORD_SUFFIX["ru"]):
                is_year = value is not None and 1900 <= value <= 2100 and len(digits) == 4
                ctx = "year" if is_year else "ordinal"
            elif lang != "en" and suffix == "х":
                if value is not None and 1900 <= value <= 2100:
                    ctx = "year"
                elif value is not None and value % 10 in (2, 3, 4) and value % 100 not in (12, 13, 14):
                    ctx = None  # "2-х" = двух
                else:
                    ctx = "ordinal"  # "90-х"
            elif lang != "en" and suffix in _CARD_SUFFIX:
                ctx = None
            elif suffix in _TIME_SUFFIX:
                ctx = "time"
            elif suffix == "k" and not hyphen:
                value = None if value is None else value * 1000
                ctx = None
            elif suffix in _UNIT_SUFFIX or suffix in self.lex.ctx:
                c = self.lex.ctx.get(suffix)
                ctx = c if c in ("money", "percent") else "measure"
            elif hyphen:
                ctx = "measure"  # "54-летний", "24-year-old", "5-этажный"
            else:
                ctx = "id"
            return self._emit(i, i + 1, start, end, value, word=False, ctx=ctx)
        if _RANGE_RE.match(s):
            parts = s.split("-")
            if len(parts) == 3 and len(parts[0]) == 4:
                return self._emit(i, i + 1, tok.start, tok.end, None, word=False, ctx="date")
            if len(parts) == 2:
                return self._range(i, i + 1, parts[0], parts[1], tok.start, tok.end)
            return self._emit(i, i + 1, tok.start, tok.end, None, word=False, ctx="id")
        return self.id_token(i)

    def _range(self, ts: int, te: int, a: str, b: str, start: int, end: int) -> Number:
        """ "10-15", "1700-2000" (clock times), "2022–2024" (years): no single value."""
        if len(a) == 4 and len(b) == 4:
            if all(1900 <= int(p) <= 2100 for p in (a, b)):
                return self._emit(ts, te, start, end, None, word=False, ctx="year")
            if all(int(p[:2]) < 24 and int(p[2:]) < 60 for p in (a, b)):
                return self._emit(ts, te, start, end, None, word=False, ctx="time")
        return self._emit(ts, te, start, end, None, word=False, qual="vague", qual_start=start)

    def word_range(self, i: int) -> Number | None:
        """ "пять-шесть", "двух-трех", "two-three": a range of number words, a vague quantity."""
        tok = self.toks[i]
        parts = tok.norm.split("-")
        if len(parts) != 2:
            return None
        for p in parts:
            e = self.words.get(p)
            if e is None or e[0] not in (K_UNIT, K_TEEN, K_TENS, K_HUND) or e[2] & F_ORD:
                return None
        return self._emit(i, i + 1, tok.start, tok.end, None, word=True, qual="vague", qual_start=tok.start)

    def id_token(self, i: int) -> Number | None:
        tok = self.toks[i]
        m = _TRAIL_DIG.search(tok.norm)
        if m is None:
            return None
        d = m.group()
        return self._emit(i, i + 1, tok.start + m.start(), tok.end, _intval(d), word=False, ctx="id")

    def _literal(self, i: int) -> Number:
        toks, norm, n, lang = self.toks, self.norm, self.n, self.lang
        tok = toks[i]
        ip = tok.norm
        start, end = tok.start, tok.end
        j = i + 1
        grouped = False
        if len(ip) <= 3:
            # thousands groups: "1 200", "1 200 000" (nbsp normalised to a space), "5,000" in English
            seps = (" ", ",") if lang == "en" else (" ",)
            sep = None
            while j < n:
                t = toks[j]
                if t.start != end + 1 or len(t.norm) != 3 or not t.norm.isdigit() or not t.norm.isascii():
                    break
                c = norm[end]
                if c not in seps or (sep is not None and c != sep):
                    break
                # "1 200.5" is fine, but "9 100-летний" or "1 2024-09" are not groups
                sep = c
                ip += t.norm
                end = t.end
                j += 1
                grouped = True
                if len(ip) > 13:
                    break
        frac = ""
        if (
            not grouped
            and end < len(norm)
            and norm[end] in "–—"
            and j < n
            and toks[j].start == end + 1
            and toks[j].norm.isdigit()
            and toks[j].norm.isascii()
            and len(ip) <= 4
            and len(toks[j].norm) <= 4
        ):
            return self._range(i, j + 1, ip, toks[j].norm, start, toks[j].end)  # "5–6", "2022–2024"
        if not grouped and end < len(norm) and j < n and toks[j].start == end + 1 and toks[j].norm.isdigit():
            c = norm[end]
            nxt = toks[j].norm
            if c == ":" and len(nxt) == 2 and len(ip) <= 2 and int(ip) <= 24 and int(nxt) <= 59:
                end = toks[j].end
                j += 1
                if (
                    j < n
                    and end < len(norm)
                    and norm[end] == ":"
                    and toks[j].start == end + 1
                    and len(toks[j].norm) == 2
                    and toks[j].norm.isdigit()
                ):
                    end = toks[j].end
                    j += 1
                return self._emit(i, j, start, end, None, word=False, ctx="time")
            if c == "." and nxt.isascii():
                # "01.09.2024": a date
                e2 = toks[j].end
                if (
                    j + 1 < n
                    and e2 < len(norm)
                    and norm[e2] == "."
                    and toks[j + 1].start == e2 + 1
                    and toks[j + 1].norm.isdigit()
                    and len(toks[j + 1].norm) in (2, 4)
                    and len(ip) <= 2
                    and len(nxt) <= 2
                    and 1 <= int(ip) <= 31
                    and 1 <= int(nxt) <= 12
                ):
                    return self._emit(i, j + 2, start, toks[j + 1].end, None, word=False, ctx="date")
                if (
                    len(nxt) == 2
                    and len(ip) <= 2
                    and int(ip) <= 24
                    and int(nxt) <= 59
                    and (lang != "en" or _AMPM.match(norm, e2))
                ):
                    return self._emit(i, j + 1, start, e2, None, word=False, ctx="time")
                frac = nxt
            elif c == "," and lang != "en" and nxt.isascii():
                frac = nxt
            if frac:
                end = toks[j].end
                j += 1
        if len(ip) > 12 or len(frac) > 12:
            return self._emit(i, j, start, end, None, word=False, ctx="measure")
        # a scale or multiplier word after the digits: "5 тысяч", "1,2 млн", "3 млрд", "2 десятка"
        mult = 1
        qual = None
        t = self._next_word(j, end)
        if t is not None:
            e = self.words.get(t.norm)
            if e is not None and e[0] == K_SCALE and not e[2] & F_ORD:
                mult = e[1]
            elif e is not None and e[0] == K_EN_HUNDRED:
                mult = 100
            elif e is not None and e[0] == K_MULT and not frac:
                mult = e[1]
                qual = None if self.en else "approx"
            elif t.norm in self.lex.scale_abbr:
                mult = self.lex.scale_abbr[t.norm]
            if mult != 1:
                end = t.end
                j += 1
        num = int(ip) * mult
        if frac:
            scaled = int(frac) * mult
            den = 10 ** len(frac)
            value = num + scaled // den if scaled % den == 0 else None
            if value is not None and mult != 1:
                frac = ""
        else:
            value = num
        big = value is not None and value > MAX_VALUE
        if big:
            value = None
        ctx = self._context(i, j, start, end, value, False)
        if ctx is None and frac:
            ctx = "decimal"
        if ctx is None and big:
            ctx = "measure"
        return self._emit(
            i, j, start, end, value, word=False, qual=qual, qual_start=start if qual else None, ctx=ctx or ""
        )


def find_numbers(text: Text, lang: str) -> list[Number]:
    """Every number in ``text`` (``lang`` is "ru", "uk" or "en"), sorted by start, non-overlapping."""
    if lang not in ("ru", "uk", "en"):
        lang = "en"
    scan = _Scan(text, lang)
    words = scan.words
    # candidate tokens first: most tokens are not numbers. Whether a word can be one is remembered per
    # language, so a text costs one C-level map over its words plus the few words never seen before.
    memo = scan.lex.candidates
    ws = text.words
    digits = _DIGITS
    flags = list(map(memo.get, ws))
    if None in flags:
        for k, flag in enumerate(flags):
            if flag is None:
                s = ws[k]
                flag = flags[k] = s in words or s[0] in digits or s[-1] in digits or "-" in s
                if len(memo) < _MAX_MEMO:
                    memo[s] = flag
    cands = list(compress(range(len(ws)), flags))
    out: list[Number] = []
    nxt = 0  # first token not yet consumed
    toks = scan.toks
    for i in cands:
        if i < nxt:
            continue
        s = toks[i].norm
        if s in words:
            num = scan.words_at(i)
        elif s[0] in digits:
            num = scan.digits_at(i)
        elif s[-1] in digits:
            num = scan.id_token(i)
        else:
            num = scan.word_range(i)
        if num is not None:
            out.append(num)
            nxt = num.tok_end
    return out


def parse_number_words(words: list[str], lang: str) -> int | None:
    """The value of ``words`` (normalised number words) when they form exactly one number, else None."""
    text = prepare(" ".join(words))
    if not text.tokens:
        return None
    found = find_numbers(text, lang)
    if len(found) != 1 or found[0].tok_start != 0 or found[0].tok_end != len(text.tokens):
        return None
    return found[0].value


# --- number → words (for round-trip tests) ------------------------------------------------------------

_EN_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _en_words(n: int) -> str:
    if n < 20:
        return _EN_UNITS[n]
    if n < 100:
        t, u = divmod(n, 10)
        return _EN_TENS[t] + (f"-{_EN_UNITS[u]}" if u else "")
    for scale, name in ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= scale:
            q, r = divmod(n, scale)
            head = f"{_en_words(q)} {name}"
            if not r:
                return head
            return f"{head} and {_en_words(r)}" if r < 100 else f"{head} {_en_words(r)}"
    raise AssertionError(n)


@cache
def _lemmas_by_value(lang: str) -> dict[int, str]:
    return {v: k for k, v in _data()[lang]["cardinal"].items()}


@cache
def _inflect(lemma: str, lang: str, grammemes: frozenset[str], pos: frozenset[str]) -> str:
    for parse in analyzer(lang).parse(lemma):
        if parse.tag.POS in pos and _clean(parse.normal_form) == _clean(lemma):
            got = parse.inflect(set(grammemes))
            if got is None and len(grammemes) > 1:
                got = parse.inflect({g for g in grammemes if g not in ("masc", "femn", "neut")})
            return _clean(got.word) if got is not None else _clean(lemma)
    return _clean(lemma)


def _slavic_group(n: int, lang: str, case: str, gender: str | None) -> list[str]:
    lemmas = _lemmas_by_value(lang)
    out: list[str] = []
    h, r = divmod(n, 100)
    parts = [h * 100] if h else []
    if 10 <= r < 20:
        parts.append(r)
    else:
        if r >= 20:
            parts.append(r - r % 10)
        if r % 10:
            parts.append(r % 10)
    for p in parts:
        gram = {case}
        if p in (1, 2) and gender:
            gram.add(gender)
        out.append(_inflect(lemmas[p], lang, frozenset(gram), frozenset({"NUMR", "ADJF"})))
    return out


def _slavic_words(n: int, lang: str, case: str, gender: str | None) -> str:
    if n == 0:
        return _inflect("ноль" if lang == "ru" else "нуль", lang, frozenset({case}), frozenset({"NOUN"}))
    scales = _data()[lang]["scale"]
    by_value = {v: k for k, v in scales.items()}
    out: list[str] = []
    for scale in (10**9, 10**6, 1000):
        if n >= scale:
            q, n = divmod(n, scale)
            lemma = by_value[scale]
            g = "femn" if scale == 1000 else "masc"
            out += _slavic_group(q, lang, case, g)
            last = q % 100
            one = last % 10 == 1 and last != 11
            few = last % 10 in (2, 3, 4) and last not in (12, 13, 14)
            if case in ("nomn", "accs"):
                gram = {case, "sing"} if one else {"gent", "sing"} if few else {"gent", "plur"}
            else:
                gram = {case, "sing" if one else "plur"}
            out.append(_inflect(lemma, lang, frozenset(gram), frozenset({"NOUN"})))
    if n:
        out += _slavic_group(n, lang, case, gender)
    return " ".join(out)


def number_to_words(n: int, lang: str, case: str = "nomn", gender: str | None = None) -> str:
    """``n`` written in words: Russian/Ukrainian in ``case`` (and ``gender`` for 1 and 2), English plain."""
    if n < 0:
        raise ValueError("negative numbers are not written out")
    if lang == "en":
        return _en_words(n)
    return _slavic_words(n, lang, case, gender)
