"""Operator sign-in and sign-out (``/ops/login``, ``/ops/logout``), second factor."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
