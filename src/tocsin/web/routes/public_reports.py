"""Residents' reports on the public side, as the publication policy (``tocsin.policy``) allows them."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["api"])
