"""HTML pages of the portal."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
