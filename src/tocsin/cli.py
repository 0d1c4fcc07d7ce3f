"""The ``tocsin`` command: thin callers of library functions.

Exit status: 0 success; 1 the input could not be read as statements (a single text that cannot be read,
or every JSONL line failed); 2 usage error or an input/output file that cannot be opened.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

from tocsin import __version__

EPILOG = """\
examples:
  tocsin extract "Над Смоленской областью сбиты девять БПЛА. Пострадавших нет."
  tocsin extract --file statement.txt --published 2025-09-06
  echo "Over the night air defence downed 12 drones." | tocsin extract --json
  tocsin extract --jsonl statements.jsonl -o pred.jsonl
  python ../shared/tools/score_extraction.py ../shared/devset/statements.jsonl pred.jsonl

exit status: 0 ok; 1 nothing could be extracted (bad text, or every JSONL line failed);
             2 usage error or a file that cannot be read/written.
"""

EXTRACT_EPILOG = """\
A single text prints a table: each field, its value ("not stated" where the text is silent, which is
never the same as 0) and the words of the text it came from. --json prints the contract's
"extraction" object instead.

--jsonl reads {"id", "text", "published"?, "lang"?} lines and writes {"id", "extraction": {...}} lines in
the same order. A bad line is reported on stderr with its line number and written as
{"id": ..., "error": "..."}; the other lines are still processed. --lang/--published act as defaults for
lines that don't give their own.

examples:
  tocsin extract "Над Смоленской областью сбиты девять БПЛА."
  tocsin extract --file statement.txt --lang ru --published 2025-09-06T07:15:00+03:00
  cat statement.txt | tocsin extract -
  tocsin extract --jsonl ../shared/devset/statements.jsonl -o pred.jsonl
"""

PROGRESS_MIN_LINES = 200


class _UsageError(Exception):
    """Bad arguments or an unopenable file: exit 2."""


def _published_arg(value: str) -> str:
    from tocsin.extract.batch import check_published
    from tocsin.extract.core import ExtractionError

    try:
        return check_published(value)  # type: ignore[return-value]
    except ExtractionError as exc:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO date or datetime (e.g. 2025-09-06)"
        ) from exc


def build_parser() -> argparse.ArgumentParser:
    from tocsin.extract.batch import LANGS

    parser = argparse.ArgumentParser(
        prog="tocsin",
        description="tocsin — open civil-protection information system: official statements about drone "
        "and missile attacks → sourced, structured data.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tocsin {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ex = sub.add_parser(
        "extract",
        help="read one statement (or a JSONL file of them) into structured fields with evidence",
        description="Read official statements into the fields of contract/extraction.md.",
        epilog=EXTRACT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ex.add_argument("text", nargs="?", metavar="TEXT", help='the statement; "-" or omitted: read stdin')
    ex.add_argument("-f", "--file", metavar="FILE", help="read one statement from a UTF-8 text file")
    ex.add_argument("--jsonl", metavar="IN", help='read JSON Lines statements from IN ("-" for stdin)')
    ex.add_argument("-o", "--output", metavar="OUT", help="with --jsonl: write here instead of stdout")
    ex.add_argument("--lang", choices=LANGS, help="language of the text (default: detect)")
    ex.add_argument(
        "--published",
        type=_published_arg,
        metavar="ISO",
        help="when the statement was published (ISO date or datetime) — pins relative times",
    )
    ex.add_argument("--json", action="store_true", help="print the contract JSON instead of a table")
    ex.add_argument(
        "--progress",
        action="store_true",
        help="with --jsonl: always show a progress bar on stderr (default: only for files "
        f"of more than {PROGRESS_MIN_LINES} lines when stderr is a terminal)",
    )
    ex.set_defaults(func=_cmd_extract)
    from tocsin.export_cli import register as register_export
    from tocsin.serve import register as register_serve
    from tocsin.store.cli import register as register_db

    register_db(sub)
    from tocsin.ingest_cli import register as register_ingest

    register_ingest(sub)
    register_export(sub)
    register_serve(sub)
    from tocsin.dispatch_cli import register as register_dispatch
    from tocsin.user_cli import register as register_user

    register_user(sub)
    register_dispatch(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors: return the code instead of exiting
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.func(args)
    except _UsageError as exc:
        _error(str(exc))
        return 2
    except BrokenPipeError:  # e.g. `tocsin extract --jsonl big.jsonl | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130


def _error(message: str) -> None:
    from tocsin.console import stderr_console

    stderr_console().print(f"tocsin: error: {message}", markup=False)


# ---------------------------------------------------------------------------------------------- extract


def _cmd_extract(args: argparse.Namespace) -> int:
    if args.jsonl is not None:
        for given, flag in ((args.text, "TEXT"), (args.file, "--file"), (args.json or None, "--json")):
            if given is not None:
                raise _UsageError(f"{flag} cannot be combined with --jsonl (it already writes JSON)")
        return _extract_jsonl(args)
    if args.output is not None:
        raise _UsageError("-o/--output goes with --jsonl")
    if args.progress:
        raise _UsageError("--progress goes with --jsonl")
    return _extract_one(args)


def _read_text_arg(args: argparse.Namespace) -> str:
    if args.file is not None:
        if args.text is not None:
            raise _UsageError("give either TEXT or --file, not both")
        try:
            with open(args.file, "rb") as f:
                data = f.read()
        except OSError as exc:
            raise _UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
        source = args.file
    elif args.text == "-" or (args.text is None and not sys.stdin.isatty()):
        data = sys.stdin.buffer.read()
        source = "stdin"
    elif args.text is None:
        raise _UsageError("give a TEXT, --file FILE or --jsonl IN, or pipe text on stdin (see --help)")
    else:
        return args.text
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _UsageError(f"{source} is not UTF-8 text (invalid byte at offset {exc.start})") from None


def _extract_one(args: argparse.Namespace) -> int:
    from tocsin.extract.batch import checked_extract
    from tocsin.extract.core import ExtractionError

    text = _read_text_arg(args)
    try:
        claim = checked_extract(text, lang=args.lang, published=args.published)
    except ExtractionError as exc:
        _error(str(exc))
        return 1
    if args.json:
        _stdout_writer()(json.dumps(claim.to_contract(), ensure_ascii=False, indent=2) + "\n")
        sys.stdout.flush()
        return 0
    from rich.console import Console

    from tocsin.console import claim_table

    Console(highlight=False).print(claim_table(claim, text, lang=args.lang))
    return 0


def _stdout_writer() -> Callable[[str], Any]:
    """Write UTF-8 to stdout whatever the locale says (JSON is written with ensure_ascii=False)."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        return sys.stdout.write
    sys.stdout.flush()
    return lambda s: buffer.write(s.encode("utf-8"))


def _count_lines(path: str) -> int:
    count, last = 0, b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def _extract_jsonl(args: argparse.Namespace) -> int:
    from tocsin.console import stderr_console
    from tocsin.extract.batch import extract_jsonl

    console = stderr_console()
    from_stdin = args.jsonl == "-"
    try:
        infile: BinaryIO = sys.stdin.buffer if from_stdin else open(args.jsonl, "rb")  # noqa: SIM115
    except OSError as exc:
        raise _UsageError(f"cannot read {args.jsonl}: {exc.strerror or exc}") from None
    try:
        total = None
        show = args.progress
        if not from_stdin and (args.progress or console.is_terminal):
            total = _count_lines(args.jsonl)
            show = show or total > PROGRESS_MIN_LINES
        if args.output in (None, "-"):
            write, outfile = _stdout_writer(), None
        else:
            try:
                outfile = open(args.output, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
            except OSError as exc:
                raise _UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
            write = outfile.write
        try:
            results = extract_jsonl(infile, lang=args.lang, published=args.published)
            done, failed = _write_results(results, write, console, show=show, total=total)
        finally:
            if outfile is not None:
                outfile.close()
            else:
                sys.stdout.flush()
                if hasattr(sys.stdout, "buffer"):
                    sys.stdout.buffer.flush()
    finally:
        if not from_stdin:
            infile.close()
    if done == 0:
        console.print("tocsin: no statements in the input (only blank lines)", markup=False)
        return 0
    if failed:
        console.print(f"tocsin: {done} lines read, {failed} with errors (see above)", markup=False)
    return 1 if failed == done else 0


def _write_results(
    results: Iterable[tuple[int, dict[str, Any], str | None]],
    write: Callable[[str], Any],
    console: Any,
    *,
    show: bool,
    total: int | None,
) -> tuple[int, int]:
    done = failed = 0

    Results = Iterator[tuple[int, dict[str, Any], str | None]]

    def report(items: Results, advance: Callable[[int], None]) -> None:
        nonlocal done, failed
        for line_no, out, err in items:
            write(json.dumps(out, ensure_ascii=False) + "\n")
            done += 1
            if err is not None:
                failed += 1
                who = "" if out.get("id") is None else f" (id {json.dumps(out['id'], ensure_ascii=False)})"
                console.print(f"tocsin: line {line_no}{who}: {err}", markup=False)
            advance(line_no)

    if not show:
        report(iter(results), lambda _n: None)
        return done, failed
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("extracting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("extract", total=total)
        report(iter(results), lambda n: progress.update(task, completed=n))
        if total is not None:
            progress.update(task, completed=total)
    return done, failed
