"""The event's time window: ``period`` of the extraction contract (``contract/extraction.md``).

``find_period`` returns the first window of the reported event in a statement: a clock window
("с 20:00 до 23:00 мск", "З 18:00 14 липня до 07:30 15 липня", "between 8 p.m. and 11 p.m. Moscow time"),
a single moment ("Сегодня около 16:30", "о 04:12", "at 4:35 a.m.") or a vague window ("за прошедшую
ночь", "Вночі", "overnight"). Clock windows are pinned to ISO 8601 datetimes with an offset when a date
(from the text, or the text plus ``published``) and a time zone can be determined; vague windows never
are. Reporting times ("Станом на 08:00", "as of 8 a.m.") and posting times ("said shortly after 8 a.m.")
are not windows.

All vocabulary is in ``data/lexicon/when.toml``. Matching is done on the normalised view of the text
(same offsets as the original): clock grammar with bounded regexes, only when the text has something
that looks like a time; vague phrases through a dictionary of their first words over the tokens.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from importlib.resources import files
from itertools import compress
from operator import not_
from zoneinfo import ZoneInfo

from tocsin.extract.tokens import Text

__all__ = ["PeriodMatch", "find_period", "parse_published"]

MSK = timezone(timedelta(hours=3), "MSK")
KYIV = ZoneInfo("Europe/Kyiv")
MAX_SCAN = 50_000  # an event window is stated near the start; never look further than this
_SCHEDULE_LOOKBACK = 6  # words before a clock window checked for opening-hours words ("работает … с 5:30")
_SPEECH_LOOKBACK = 3  # words before a window checked for speech words ("said early on Wednesday")
_FUTURE_SLACK = timedelta(minutes=90)  # a window may end this long after the post and still be "today"
_YEAR_AHEAD = timedelta(days=62)  # an explicit date further ahead of the post than this is last year's


@dataclass(slots=True, unsafe_hash=True)
class PeriodMatch:
    """The event's time window as found in a text (not frozen: a frozen one is slow to build; don't
    modify it)."""

    text: str  # exact words of the window, as in the original text (raw[start_at:end_at])
    start_at: int  # span in the original text
    end_at: int
    start: str | None  # ISO 8601 with offset; None unless pinned
    end: str | None
    vague: bool  # a window without clock times ("overnight", "в ночь на 3 марта"): never pinned


# ---------------------------------------------------------------------------------------------------
# Published date


def parse_published(value: str | date | datetime | None) -> datetime | date | None:
    """``published`` as a date or datetime (ISO 8601 string, date, datetime or None).

    Raises ValueError with a clear message when the value is not an ISO date or datetime.
    """
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"published must be an ISO 8601 date or datetime string, not {type(value).__name__}")
    s = value.strip()
    if not s:
        return None
    if len(s) > 64:
        raise ValueError(f"published is not an ISO 8601 date or datetime: {s[:40]!r}…")
    try:
        if len(s) == 10 and s[4:5] == "-":
            return date.fromisoformat(s)
        return datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(
            "published is not an ISO 8601 date or datetime "
            f"(e.g. 2025-06-14 or 2025-06-14T08:00:00+03:00): {s!r}"
        ) from None


# ---------------------------------------------------------------------------------------------------
# Lexicon → compiled grammar (once per process)


def _alt(words: list[str] | set[str]) -> str:
    """A regex alternation of literal phrases (any whitespace between words), longest first."""
    out = sorted({w for w in words if w}, key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(p) for p in w.split()) for w in out)


@dataclass(frozen=True, slots=True)
class _Grammar:
    month: dict[str, int]
    weekday: dict[str, int]
    day_words: dict[str, int]
    day_parts: dict[str, str]
    hour_words: frozenset[str]
    speech: frozenset[str]
    schedule: frozenset[str]
    approx: frozenset[str]
    date_re: re.Pattern[str]  # an explicit date or weekday, anchored with .match
    clock_first: frozenset[str]  # words a clock window can start with ("с", "в", "between", …)
    named_times: dict[str, int]
    time_next: frozenset[str]  # a word after a number that makes it a time ("3 часа", "8 p.m.")
    time_token_re: re.Pattern[str]  # one token that is a time ("8pm", "22ч40")
    clock_re: re.Pattern[str]
    tail_res: tuple[re.Pattern[str], ...]
    zones: tuple[tuple[str, bool], ...]  # (phrase, is Moscow)
    zone_keys: tuple[str, ...]  # substrings one of which every zone phrase contains
    vague_by_first: dict[str, list[tuple[int, re.Pattern[str]]]]
    vague_second: dict[str, frozenset[str] | None]  # words that may follow a first word (None: any)
    time_parts_re: re.Pattern[str]
    gap_re: re.Pattern[str]
    sentence_re: re.Pattern[str]
    trigger_words: frozenset[str]  # named times and vague-window words: a window can start at them


def _load() -> dict:
    raw = files("tocsin").joinpath("data/lexicon/when.toml").read_text(encoding="utf-8")
    return tomllib.loads(raw)


@cache
def _grammar() -> _Grammar:
    lex = _load()
    month: dict[str, int] = {}
    for forms_by_month in lex["months"].values():
        for i, forms in enumerate(forms_by_month, start=1):
            for f in forms.split("|"):
                month[f] = i
    weekday: dict[str, int] = {}
    for forms_by_day in lex["weekdays"].values():
        for i, forms in enumerate(forms_by_day):
            for f in forms.split("|"):
                weekday[f] = i
    full_weekdays = {f for f in weekday if len(f) > 4}  # "on Mon" / "sun" / "sat" are too ambiguous
    day_parts: dict[str, str] = dict(lex["day_parts"])
    clock = lex["clock"]
    hour_words = frozenset(clock["hour_words"])

    mon = _alt(month)
    wd = _alt(full_weekdays)
    year_w = _alt(lex["dates"]["year_words"])
    b = r"(?![\w'])"
    # an explicit date: ISO, dd.mm.yyyy, "7 декабря [2024 г.]", "December 7[, 2024]", "7th of December",
    # or a weekday ("on Tuesday", "в пятницу")
    date_core = (
        r"(?:\d{4}-\d{2}-\d{2}(?!\d)"
        r"|\d{1,2}\.\d{1,2}\.\d{4}(?!\d)"
        rf"|\d{{1,2}}(?:-?(?:го|е|st|nd|rd|th))?\s+(?:of\s+)?(?:{mon}){b}\.?"
        rf"(?:,?\s+\d{{4}}(?!\d)(?:\s*(?:{year_w}){b}\.?)?)?"
        rf"|(?:{_alt(m for m, n in month.items() if m.isascii())}){b}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?!\d)"
        r"(?:,?\s+\d{4}(?!\d))?"
        rf"|(?:{wd}){b}(?:,?\s+(?:{_alt(m for m in month if m.isascii())}){b}\.?\s+\d{{1,2}}(?!\d))?"
        r")"
    )
    datex = rf"(?:(?:on|of|в|во|у|на)\s+)?(?:the\s+)?{date_core}"
    date_re = re.compile(datex)

    dp = _alt(day_parts)
    hw = _alt(hour_words)
    t_ampm = r"\d{1,2}(?:[:.]\d{2})?\s?(?:a\.\s?m\.?|p\.\s?m\.?|am|pm)(?![\w'])"
    t_24 = rf"\d{{1,2}}[:.]\d{{2}}(?![\d])(?!\.\d)(?:\s+(?:{dp}){b})?"
    t_hw = (
        rf"\d{{1,2}}\s+(?:{hw}){b}(?:\s+(?:{dp}){b})?"
        rf"|\d{{1,2}}\s+(?:{dp}){b}"
        r"|\d{1,2}\s?ч\.?\s?\d{1,2}\s?мин\.?"
    )
    not_after = _alt(clock["not_after"])
    named = _alt(lex["named_times"])
    tm = rf"(?:{t_ampm}|{t_24}|{t_hw}|(?:{named}){b})(?!\s*(?:{not_after})(?![\w']))"
    # the first hour of a range may borrow the second one's form: "between 8 and 11 p.m.", "с 20 до 23 часов"
    tm1 = rf"(?:{tm}|\d{{1,2}}(?![\d:.]))"
    time_parts_re = re.compile(
        rf"(?P<h>\d{{1,2}})(?:(?:[:.]|\s?ч\.?\s?)(?P<m>\d{{1,2}}))?\s*"
        rf"(?:(?P<ap>a\.\s?m\.?|p\.\s?m\.?|am|pm)|(?:(?P<hw>{hw})\s*)?(?P<dp>{dp})?)"
    )

    frm = _alt(clock["range_from"])
    to_words = [w for w in clock["range_to"] if w[0].isalpha()]
    to = rf"(?:[-–—]|(?:{_alt(to_words)}){b})"
    prefix = _alt(clock["range_prefix"])
    approx = _alt(clock["moment_approx"])
    exact = _alt(clock["moment_exact"])
    # a zone may stand between a time and its date: "с 23.00 мск 21 августа до 7.00 мск 22 августа"
    zone_between = rf"(?:\s*(?:{_alt(lex['zones']['moscow'] + lex['zones']['kyiv'])}){b})?"
    dsuf = rf"(?:{zone_between}\s*,?\s*{datex})"
    clock_re = re.compile(
        r"(?<![\w'])(?:"
        rf"(?P<R>(?:(?:{prefix})\s+)?(?:{frm})\s+(?P<rt1>{tm1})(?P<rd1>{dsuf})?\s*{to}\s*(?P<rt2>{tm})(?P<rd2>{dsuf})?)"
        rf"|(?P<B>(?:(?:{prefix})\s+)?(?P<bt1>{t_24})\s*[-–—]\s*(?P<bt2>{t_24}))"
        rf"|(?P<S>(?:{frm})\s+(?P<st1>{tm})(?P<sd1>{dsuf})?)"
        rf"|(?P<M>(?P<mp>{approx}|{exact})\s+(?P<mt1>{tm})(?P<md1>{dsuf})?)"
        r")"
    )
    clock_first = frozenset(
        p.split()[0]
        for key in ("range_from", "range_prefix", "moment_exact", "moment_approx")
        for p in clock[key]
    )
    time_next = frozenset(
        [*hour_words, *day_parts, "a", "p", "am", "pm", "ч"] + [w.split()[0] for w in hour_words]
    )
    time_token_re = re.compile(r"\d{1,2}(?:am|pm|ч\d{1,2})")
    zones = lex["zones"]
    zone_list = tuple(
        sorted(
            [(z, True) for z in zones["moscow"]] + [(z, False) for z in zones["kyiv"]],
            key=lambda x: -len(x[0]),
        )
    )
    tail_res = (
        re.compile(rf"\s*,?\s*\(?(?:{_alt(zones['moscow'] + zones['kyiv'] + zones['local'])}){b}\)?"),
        re.compile(r"\s*\([^()\n]{0,40}?(?:gmt|utc|мск|киев|київ)[^()\n]{0,10}\)"),
        re.compile(rf"\s*,?\s*{datex}"),
    )

    # vague phrases → per first word, one anchored regex per tier (0 strong, 1 weak, 2 bare day word)
    date_ph = f"(?:{datex})"
    by_first: dict[tuple[str, int], list[str]] = {}
    vague = lex["vague"]
    for tier, phrases in ((0, vague["ru"] + vague["uk"] + vague["en"]), (1, vague["weak"])):
        for phrase in phrases:
            for first, rx in _phrase_regex(phrase, date_ph):
                by_first.setdefault((first, tier), []).append(rx)
    for word in vague["bare"]:
        by_first.setdefault((word, 2), []).append(re.escape(word))
    vague_by_first: dict[str, list[tuple[int, re.Pattern[str]]]] = {}
    for (first, tier), rxs in sorted(by_first.items(), key=lambda kv: kv[0][1]):
        alt = "|".join(sorted(rxs, key=len, reverse=True))
        vague_by_first.setdefault(first, []).append((tier, re.compile(rf"(?:{alt})(?![\w'])")))
    vague_second: dict[str, frozenset[str] | None] = {}
    for phrase in vague["ru"] + vague["uk"] + vague["en"] + vague["weak"] + vague["bare"]:
        head = phrase.split()[0]
        for first in head[1:-1].split("|") if head.startswith("(") else [head]:
            seconds = _second_words(phrase)
            known = vague_second.get(first, frozenset())
            vague_second[first] = None if seconds is None or known is None else known | seconds
    return _Grammar(
        month=month,
        weekday=weekday,
        day_words=dict(lex["day_words"]),
        day_parts=day_parts,
        hour_words=hour_words,
        speech=frozenset(clock["speech_words"]),
        schedule=frozenset(clock["schedule_words"]),
        approx=frozenset(clock["moment_approx"]),
        date_re=date_re,
        clock_first=clock_first,
        named_times=dict(lex["named_times"]),
        time_next=time_next,
        time_token_re=time_token_re,
        clock_re=clock_re,
        tail_res=tail_res,
        zones=zone_list,
        zone_keys=tuple(lex["zones"]["keys"]),
        vague_by_first=vague_by_first,
        vague_second=vague_second,
        time_parts_re=time_parts_re,
        gap_re=re.compile(r"[\s,(–—-]{0,4}"),
        sentence_re=re.compile(r"[.!?…\n]"),
        trigger_words=frozenset(lex["named_times"]) | frozenset(vague_by_first),
    )


def _second_words(phrase: str) -> frozenset[str] | None:
    """The words that may follow the first word of a phrase; None when that is not a fixed list."""
    out: set[str] = set()
    for p in phrase.split()[1:]:
        optional = p.startswith("[") and p.endswith("]")
        inner = p[1:-1] if optional or (p.startswith("(") and p.endswith(")")) else p
        if not re.fullmatch(r"[\w'|]+", inner):
            return None
        out.update(w for w in inner.split("|") if w)
        if not optional:
            return frozenset(out)
    return None  # a one-word phrase: any word may follow


def _phrase_regex(phrase: str, date_rx: str) -> list[tuple[str, str]]:
    """[(first word, regex)] for one lexicon phrase (syntax: see the head of when.toml).

    A first word written as an alternation "(a|b)" gives one entry per alternative.
    """
    parts = phrase.split()
    head = parts[0]
    firsts = head[1:-1].split("|") if head.startswith("(") and head.endswith(")") else [head]
    rest = ""
    for p in parts[1:]:
        if p == "{date?}":
            rest += rf"(?:\s+{date_rx})?"
        elif p.startswith("[") and p.endswith("]"):
            rest += rf"(?:\s+(?:{p[1:-1]}))?"
        else:
            rest += r"\s+" + p.replace("{date}", date_rx)
    out = []
    for first in firsts:
        if not re.fullmatch(r"[\w']+", first):
            raise ValueError(f"when.toml: a vague phrase must start with a literal word: {phrase!r}")
        out.append((first, re.escape(first) + rest))
    return out


# ---------------------------------------------------------------------------------------------------
# Parsing matched pieces


def _parse_time(g: _Grammar, s: str) -> tuple[int, str] | None:
    """(minutes after midnight, form) of a matched time; form is "clock" or "hours" (hour words only)."""
    if s in g.named_times:
        return g.named_times[s], "clock"
    m = g.time_parts_re.match(s)
    if not m:
        return None
    h = int(m.group("h"))
    mi = int(m.group("m")) if m.group("m") else 0
    if mi > 59:
        return None
    ap, dp = m.group("ap"), m.group("dp")
    if ap:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if ap.startswith("p") else 0)
    elif dp:
        part = g.day_parts.get(dp)
        if h > 24:
            return None
        if h <= 12:
            if part == "night":
                h = 0 if h == 12 else (h + 12 if h >= 9 else h)
            elif part == "pm" and h < 12:
                h += 12
            elif part == "am" and h == 12:
                h = 0
    elif h > 24 or (h == 24 and mi):
        return None
    form = "hours" if (m.group("hw") or dp) and not m.group("m") else "clock"
    if form == "hours" and dp:
        form = "hours+part"
    return h * 60 + mi, form


_DATE_LEAD = re.compile(r"[\s,]*(?:(?:on|of|в|во|у|на)\s+)?(?:the\s+)?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_DATE_WORDS = re.compile(r"[^\W\d]+(?:'[^\W\d]+)?|\d+")


def _parse_date(g: _Grammar, s: str, ref: date | None) -> date | None:
    """The date a matched date phrase names (year and weekday resolved against ``ref``)."""
    lead = _DATE_LEAD.match(s)
    s = s[lead.end() :] if lead else s
    try:
        m = _ISO_DATE.match(s) or _DOTTED_DATE.match(s)
        if m:
            a, b, c = (int(x) for x in m.groups())
            return date(a, b, c) if a > 31 else date(c, b, a)
        words = _DATE_WORDS.findall(s)
        nums = [int(w) for w in words if w.isdecimal()]
        mon = next((g.month[w] for w in words if w in g.month), None)
        if mon is not None and nums:
            day = nums[0]
            year = next((n for n in nums[1:] if n >= 1000), None)
            if year is None:
                if ref is None:
                    return None
                d = date(ref.year, mon, day)
                if d - ref > _YEAR_AHEAD:
                    d = date(ref.year - 1, mon, day)
                return d
            return date(year, mon, day)
        wd = next((g.weekday[w] for w in words if w in g.weekday), None)
        if wd is not None and ref is not None:
            return ref - timedelta(days=(ref.weekday() - wd) % 7)
    except ValueError:
        return None
    return None


# ---------------------------------------------------------------------------------------------------
# Candidates


@dataclass(slots=True)
class _Vague:
    start: int
    end: int
    tier: int  # 0 a window phrase, 1 a weak one (weekday + part of day), 2 a bare day word
    offset: int | None  # relative day word ("вчера" → -1)
    date_text: str | None  # an explicit date inside the phrase
    night: int  # 0: not a "night on/of"; 1: "в ночь на D" (D-1 evening → D morning); 2: "night of D"


_NIGHT_ON = re.compile(r"(?:ночь|ніч|overnight)\s+(?:на|с|з|into|on|to)\b")
_NIGHT_OF = re.compile(r"night\s+(?:of|from|between)\b")


def _vague_at(g: _Grammar, text: Text, i: int) -> _Vague | None:
    tok = text.tokens[i]
    rxs = g.vague_by_first.get(tok.norm)
    if rxs is None:
        return None
    seconds = g.vague_second.get(tok.norm)
    if seconds is not None and (i + 1 >= len(text.tokens) or text.tokens[i + 1].norm not in seconds):
        return None
    m, tier = None, 0
    for t, rx in rxs:
        cand = rx.match(text.norm, tok.start)
        if cand and (m is None or cand.end() > m.end()):
            m, tier = cand, t
    if m is None:
        return None
    s = m.group()
    dm = None
    for j in range(i + 1, len(text.tokens)):  # the explicit date inside the phrase, if any
        t = text.tokens[j]
        if t.start >= m.end():
            break
        if t.norm[:1].isdigit() or t.norm in g.weekday or t.norm in g.month:
            cand = g.date_re.match(text.norm, t.start, m.end())
            if cand:
                dm = cand.group()
                break
    night = 0
    if dm:
        if _NIGHT_OF.search(s):
            night = 2
        elif _NIGHT_ON.search(s):
            night = 1
    return _Vague(
        start=m.start(),
        end=m.end(),
        tier=tier,
        offset=g.day_words.get(tok.norm),
        date_text=dm,
        night=night,
    )


_CLAUSE_ENDS = frozenset('.,;:!?—()«»"\n')


def _clause_words_before(text: Text, pos: int, n: int) -> list[str]:
    """Up to ``n`` normalised words right before ``pos`` in the same clause (stops at punctuation)."""
    idx = text.token_at(pos)
    idx = len(text.tokens) if idx is None else idx
    out: list[str] = []
    prev_start = pos
    for j in range(idx - 1, max(-1, idx - 1 - n), -1):
        t = text.tokens[j]
        gap = text.norm[t.end : prev_start]
        if not _CLAUSE_ENDS.isdisjoint(gap):
            break
        out.append(t.norm)
        prev_start = t.start
    return out


@dataclass(slots=True)
class _Clock:
    start: int
    end: int
    kind: str  # "range", "start", "moment"
    t1: int
    t2: int | None
    d1: str | None
    d2: str | None
    anchor: _Vague | None
    anchor_date: str | None  # a date right before the window


_DATE_LEADS = frozenset(("on", "в", "во", "у"))


def _vague_before(g: _Grammar, text: Text, idx: int, s: int) -> _Vague | None:
    """The vague window or day word ending right before ``s`` (token ``idx`` starts at or after it)."""
    found = None
    for j in range(idx - 1, max(-1, idx - 9), -1):
        if text.tokens[j].norm not in g.vague_by_first:
            continue
        v = _vague_at(g, text, j)
        if v is None or v.end > s:
            continue
        gm = g.gap_re.match(text.norm, v.end, s)
        if gm and gm.end() == s:
            found = v  # keep looking back: the longest fold wins
    return found


def _fold_before(g: _Grammar, text: Text, s: int) -> tuple[int, _Vague | None, str | None]:
    """A vague window or a date right before a clock window starting at ``s`` (folded into it).

    "Сегодня в период с …", "У ніч на 7 грудня (з 18:00 6 грудня)", "7 декабря с 20:00 до 23:00",
    "on Monday between 8 and 11 p.m.", "Сегодня, 14 июня, в 10:00".
    """
    norm = text.norm
    idx = text.token_at(s)
    idx = len(text.tokens) if idx is None else idx
    anchor = _vague_before(g, text, idx, s)
    if anchor is not None:
        return anchor.start, anchor, None
    for j in range(max(0, idx - 5), idx):
        t = text.tokens[j]
        if not (t.norm[:1].isdigit() or t.norm in g.month or t.norm in g.weekday or t.norm in _DATE_LEADS):
            continue
        dm = g.date_re.match(norm, t.start, s)
        if dm and not norm[dm.end() : s].strip(" ,"):
            anchor = _vague_before(g, text, j, dm.start())
            return (anchor.start if anchor else dm.start()), anchor, dm.group()
    return s, None, None


def _is_time_token(g: _Grammar, text: Text, i: int) -> bool:
    """Does token ``i`` (a number) start a time: "20:00", "8.00", "3 часа", "8 p.m.", "8pm"?"""
    tok = text.tokens[i]
    if len(tok.norm) > 2:
        return g.time_token_re.fullmatch(tok.norm) is not None
    c = text.norm[tok.end : tok.end + 2]
    if len(c) == 2 and c[0] in ":." and c[1].isdigit():
        return True
    if i + 1 < len(text.tokens):
        nxt = text.tokens[i + 1]
        return nxt.norm in g.time_next and nxt.start - tok.end <= 2
    return False


def _borrow_form(
    g: _Grammar, t1s: str, t2s: str | None, p2: tuple[int, str] | None
) -> tuple[int, str] | None:
    """A bare first hour of a range in the second time's form ("between 8 and 11 p.m." → 20:00)."""
    if p2 is None or t2s is None or not t1s.isdecimal() or int(t1s) > 24:
        return None
    h = int(t1s)
    if p2[1] == "clock" and ":" not in t2s and "." not in t2s[:3]:
        # "8 and 11 p.m.": the same half of the day, or the other one if that would end before it starts
        half = 12 * 60 if p2[0] >= 12 * 60 else 0
        if h > 12:
            return None
        t1 = (h % 12) * 60 + half
        if t1 > p2[0]:
            t1 -= 12 * 60 if half else -12 * 60
        return t1 % 1440, "clock"
    if p2[1].startswith("hours"):
        return h * 60, "clock"
    return None


def _clock_at(g: _Grammar, text: Text, i: int, scan_end: int) -> tuple[_Clock | None, int]:
    """The clock window around the time at token ``i`` (or None) and the offset to resume after."""
    norm = text.norm
    tok = text.tokens[i]
    m = None
    for j in range(max(0, i - 5), i + 1):
        if j < i and text.tokens[j].norm not in g.clock_first:
            continue
        cand = g.clock_re.match(norm, text.tokens[j].start, scan_end)
        if cand and cand.end() > tok.start:
            m = cand
            break
    if m is None:
        return None, tok.end
    kind = "range" if m.group("R") else "bare" if m.group("B") else "start" if m.group("S") else "moment"
    if kind == "range":
        t1s, t2s, d1, d2 = m.group("rt1"), m.group("rt2"), m.group("rd1"), m.group("rd2")
    elif kind == "bare":
        t1s, t2s, d1, d2, kind = m.group("bt1"), m.group("bt2"), None, None, "range"
    elif kind == "start":
        t1s, t2s, d1, d2 = m.group("st1"), None, m.group("sd1"), None
    else:
        t1s, t2s, d1, d2 = m.group("mt1"), None, m.group("md1"), None
    p2 = _parse_time(g, t2s) if t2s else None
    p1 = _parse_time(g, t1s) if not t1s.isdecimal() else _borrow_form(g, t1s, t2s, p2)
    if p1 is None or (t2s and p2 is None):
        return None, m.end()
    before = _clause_words_before(text, m.start(), _SCHEDULE_LOOKBACK)
    if any(w in g.schedule for w in before):
        return None, m.end()  # opening hours, a timetable
    if kind == "moment":
        prep = " ".join(m.group("mp").split())
        if p1[1] == "hours" and prep in g.approx and p1[0] < 13 * 60:
            return None, m.end()  # "около 2 часов" is a duration ("около 3 часов ночи" is a time)
        if any(w in g.speech for w in before[:_SPEECH_LOOKBACK]):
            return None, m.end()  # "said shortly after 8 a.m.": when someone spoke
    start, anchor, anchor_date = _fold_before(g, text, m.start())
    if kind == "start" and not (d1 or anchor or anchor_date):
        return None, m.end()  # "работает с 5:30", "from 6 p.m.": no date, no window
    end = m.end()
    zone_rx, paren_rx, date_rx = g.tail_res
    for rx in (zone_rx, paren_rx, date_rx, zone_rx):
        if rx is date_rx and (d2 if kind == "range" else d1):
            continue
        tm = rx.match(norm, end, scan_end)
        if tm:
            if rx is date_rx:
                if kind == "range":
                    d2 = tm.group()
                else:
                    d1 = tm.group()
            end = tm.end()
    if "(" in norm[anchor.end if anchor else start : m.start()] and norm[end : end + 1] == ")":
        end += 1
    return _Clock(start, end, kind, p1[0], p2[0] if p2 else None, d1, d2, anchor, anchor_date), end


# ---------------------------------------------------------------------------------------------------
# Pinning


def _is_word(c: str) -> bool:
    return c.isalnum() or c in "_'"


def _zone(g: _Grammar, norm: str, lang: str, published: datetime | date | None, tz: _Tz):
    if callable(tz):
        tz = tz()
    if tz:
        try:
            return ZoneInfo(tz)
        except (ValueError, KeyError, OSError):
            pass
    best: tuple[int, bool] | None = None
    if not any(k in norm for k in g.zone_keys):
        return _zone_by_published(lang, published)
    for phrase, moscow in g.zones:
        at = norm.find(phrase, 0, MAX_SCAN)
        while at >= 0:
            after = at + len(phrase)
            if (at == 0 or not _is_word(norm[at - 1])) and (after >= len(norm) or not _is_word(norm[after])):
                if best is None or at < best[0]:
                    best = (at, moscow)
                break
            at = norm.find(phrase, at + 1, MAX_SCAN)
    if best is not None:
        return MSK if best[1] else KYIV
    return _zone_by_published(lang, published)


def _zone_by_published(lang: str, published: datetime | date | None):
    if isinstance(published, datetime) and published.utcoffset() is not None:
        off = published.utcoffset()
        try:
            kyiv_off = published.astimezone(KYIV).utcoffset()
        except (OverflowError, ValueError):
            kyiv_off = None
        if lang == "uk" or kyiv_off == off:
            return KYIV
        if off == timedelta(hours=3):
            return MSK
        return timezone(off)
    return {"uk": KYIV, "ru": MSK}.get(lang)


def _at(d: date, minutes: int, zone) -> datetime:
    if minutes >= 1440:
        d, minutes = d + timedelta(days=1), minutes - 1440
    return datetime.combine(d, time(minutes // 60, minutes % 60), tzinfo=zone)


def _pin(g: _Grammar, c: _Clock, published: datetime | date | None, zone) -> tuple[str | None, str | None]:
    if zone is None:
        return None, None
    pub_dt: datetime | None = None
    ref: date | None
    if isinstance(published, datetime):
        pub_dt = published if published.tzinfo else published.replace(tzinfo=zone)
        try:
            ref = pub_dt.astimezone(zone).date()
        except (OverflowError, ValueError):
            ref = published.date()
    else:
        ref = published
    t1 = c.t1
    t2 = c.t2 if c.t2 is not None else c.t1
    d1 = _parse_date(g, c.d1, ref) if c.d1 else None
    d2 = _parse_date(g, c.d2, ref) if c.d2 else None
    if (c.d1 and d1 is None) or (c.d2 and d2 is None):
        return None, None
    crossing = c.kind == "range" and t2 <= t1
    if d1 is None and d2 is not None:
        d1 = d2 - timedelta(days=1) if crossing else d2
    elif d2 is None and d1 is not None:
        d2 = d1 + timedelta(days=1) if crossing else d1
    elif d1 is None:
        a = c.anchor
        base = _parse_date(g, c.anchor_date, ref) if c.anchor_date else None
        if base is None and a is not None and a.date_text:
            base = _parse_date(g, a.date_text, ref)
            if base is not None and a.night:
                # "в ночь на 7 декабря": evening times on the 6th, morning times on the 7th;
                # "on the night of December 6": evening times on the 6th, morning times on the 7th
                night_end = base if a.night == 1 else base + timedelta(days=1)
                d2 = night_end if t2 < 12 * 60 else night_end - timedelta(days=1)
                d1 = d2 - timedelta(days=1) if crossing else d2
        if d1 is None:
            if base is None and a is not None and a.offset is not None and ref is not None:
                base = ref + timedelta(days=a.offset)  # "сегодня", "вчера"
            guessed = base is None
            base = ref if guessed else base
            if base is None:
                return None, None  # no date in the text, no publication date
            d1 = base
            d2 = base + timedelta(days=1) if crossing else base
            # no day in the text: the window is the latest one that ends before the post
            # ("с 23:00 до 02:00" posted at 06:00 is last night; a date-only bulletin the same)
            back = False
            if guessed and pub_dt is not None:
                back = _at(d2, t2, zone) > pub_dt + _FUTURE_SLACK
            elif guessed:
                back = crossing
            if back:
                d1, d2 = d1 - timedelta(days=1), d2 - timedelta(days=1)
    assert d1 is not None and d2 is not None
    try:
        start_dt, end_dt = _at(d1, t1, zone), _at(d2, t2, zone)
    except (OverflowError, ValueError):
        return None, None
    # a window after the post is a schedule or a forecast, not the reported event: leave it unpinned
    if (pub_dt is not None and start_dt > pub_dt + _FUTURE_SLACK) or (pub_dt is None and ref and d1 > ref):
        return None, None
    start = start_dt.isoformat(timespec="seconds")
    end = None if c.kind == "start" else end_dt.isoformat(timespec="seconds")
    return start, end


# ---------------------------------------------------------------------------------------------------
# Entry point


def _sentence_end(g: _Grammar, norm: str, start: int, end: int, n: int) -> int:
    """Where the ``n``-th sentence from ``start`` ends (``end`` if there are fewer)."""
    pos = start
    while n > 0:
        m = g.sentence_re.search(norm, pos, end)
        if m is None:
            return end
        pos = m.end()
        # a full stop, not a decimal point or the dot of "a.m."
        if m.group() == "\n" or pos >= len(norm) or (norm[pos].isspace() and norm[pos - 3 : pos] != ".m."):
            n -= 1
    return pos


_Tz = str | Callable[[], str | None] | None  # a zone name, or a function that gives it when asked


def _candidates(g: _Grammar, text: Text) -> compress:
    """The tokens a window can start at (a digit, a named time, a vague-window word), in order.

    C-level maps over the words: membership in a small set, and ``str.isalpha`` to find the few words
    that may start with a digit (a word that does is never all letters).
    """
    words = text.words
    flags = list(map(g.trigger_words.__contains__, words))
    for k in compress(range(len(words)), map(not_, map(str.isalpha, words))):
        if words[k][0].isdigit():
            flags[k] = True
    return compress(range(len(words)), flags)


def find_period(
    text: Text,
    lang: str,
    published: datetime | date | None,
    tz: _Tz = None,
) -> PeriodMatch | None:
    """The first window of the reported event in ``text`` (see the module docstring); None if none.

    ``tz`` names the zone of the text's clock times; it may be a function that returns it, called only
    when a clock window has to be pinned (most statements have none).
    """
    _grammar()  # a broken lexicon is a bug: let it raise here, outside the guard below
    try:
        return _find(text, lang, published, tz)
    except (ValueError, OverflowError, RecursionError):  # pragma: no cover - defensive: never raise
        return None


def _find(text: Text, lang: str, published, tz: _Tz) -> PeriodMatch | None:
    if not text.norm:
        return None
    g = _grammar()
    if isinstance(published, str):
        try:
            published = parse_published(published)
        except ValueError:
            published = None
    elif not isinstance(published, date):
        published = None
    norm, tokens = text.norm, text.tokens
    scan_end = min(len(norm), MAX_SCAN)
    if lang == "en":
        # long English prose: the window of the reported event is in the lead, not in the colour
        scan_end = _sentence_end(g, norm, 0, scan_end, 2)

    clock: _Clock | None = None
    best: list[_Vague | None] = [None, None, None]  # the first window of each tier
    first_sentence_end: int | None = None
    resume = 0
    for i in _candidates(g, text):
        tok = tokens[i]
        if tok.start >= scan_end:
            break
        if tok.start < resume:
            continue
        n = tok.norm
        if (n[0].isdigit() and _is_time_token(g, text, i)) or n in g.named_times:
            clock, resume = _clock_at(g, text, i, scan_end)
            if clock is not None:
                break
        elif best[0] is None and n in g.vague_by_first:
            seconds = g.vague_second.get(n)
            if seconds is not None and (i + 1 >= len(tokens) or tokens[i + 1].norm not in seconds):
                continue  # "в", "the", "on" start a window only before certain words
            v = _vague_at(g, text, i)
            if v is None or best[v.tier] is not None:
                continue
            if not g.speech.isdisjoint(_clause_words_before(text, v.start, _SPEECH_LOOKBACK)):
                continue  # "said early on Wednesday", "published in the early hours"
            if v.tier == 2:
                if first_sentence_end is None:
                    first_sentence_end = _sentence_end(g, norm, 0, scan_end, 1)
                if v.start >= first_sentence_end:
                    continue
            best[v.tier] = v
    vague = None
    for v in best:
        if v is not None and (clock is None or v.end <= clock.start):
            vague = v
            break
    if clock is not None and not (
        # a clock window beats a vague one, except a single moment in a later sentence
        # ("Ночью … сбиты 5 БПЛА. Около 03:00 обломки упали …")
        vague is not None
        and clock.kind == "moment"
        and _sentence_end(g, norm, vague.end, clock.start, 1) < clock.start
    ):
        zone = _zone(g, norm, lang, published, tz)
        start, end = _pin(g, clock, published, zone)
        return PeriodMatch(text.raw[clock.start : clock.end], clock.start, clock.end, start, end, False)
    if vague is None:
        return None
    return PeriodMatch(text.raw[vague.start : vague.end], vague.start, vague.end, None, None, True)
