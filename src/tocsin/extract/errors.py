"""Errors the extractor raises for input that is not a statement."""


class ExtractionError(ValueError):
    """The input cannot be read as a statement (wrong type, bad ``published``, unknown ``lang``)."""


MAX_CHARS = 200_000  # longer input is refused: no official statement is anywhere near this long
