"""The public names of ``ctdx.ingest`` and the stable issue codes stay in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

import ctdx.ingest
from ctdx.ingest import CODES

SOURCE = Path(ctdx.ingest.__file__).parent


def test_exported_members_exist_once() -> None:
    assert len(set(ctdx.ingest.__all__)) == len(ctdx.ingest.__all__)  # ruff (RUF022) keeps the order
    assert all(hasattr(ctdx.ingest, name) for name in ctdx.ingest.__all__)


def test_every_issue_code_the_importer_emits_is_documented_and_every_documented_code_is_emitted() -> None:
    text = "".join(p.read_text(encoding="utf-8") for p in SOURCE.glob("*.py"))
    emitted = set(re.findall(r'Issue\(\s*"([a-z_]+)"', text))
    emitted |= set(re.findall(r'_issue\(\s*f,\s*"([a-z_]+)"', text))
    emitted |= set(re.findall(r'return "([a-z_]+_date)"', text))
    assert emitted == set(CODES)
