"""The operators' side under ``/ops``: triage queue, reports, units, dispatches, figures, audit."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
