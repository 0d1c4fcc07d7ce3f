"""``tocsin user``: (being written)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this command group to the ``tocsin`` parser's subcommands."""
