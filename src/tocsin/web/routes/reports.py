"""Residents' reports: the form (``/report``), the receipt and status page, and ``POST /api/v1/reports``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["reports"])
