"""Interview drafts: asked in order, saved privately, resumed, and refused when damaged or out of date."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from ctdx.errors import ConflictError, InputFileError, ValidationError
from ctdx.screening import AnswerValue, EvidenceSource, Interview, load_bank
from ctdx.screening.interview import parse_key


def test_questions_come_in_instrument_order_and_skipped_ones_are_not_asked_again(tmp_path: Path) -> None:
    bank = load_bank()
    draft = Interview.start("triage", "es", bank=bank)
    assert [i.id for i in draft.pending(bank)] == ["T01", "T02", "T03", "T04", "T05", "T06"]
    draft = draft.record("T01", AnswerValue.YES, EvidenceSource.SELF_REPORT, bank).skip("T02")
    assert [i.id for i in draft.pending(bank)] == ["T03", "T04", "T05", "T06"]
    assert draft.progress(bank) == (3, 6)
    result = draft.result(bank)
    assert result.triage.refer_for_full_assessment
    assert draft.skipped == ("T02",) and "T02" not in result.answers
    assert result.context.language == "es"


def test_draft_round_trips_through_a_private_file(tmp_path: Path) -> None:
    bank = load_bank()
    path = tmp_path / "drafts" / "d.json"
    draft = Interview.start("journey", "fr", bank=bank).record(
        "FMS01", AnswerValue.DECLINED, EvidenceSource.SELF_REPORT, bank
    )
    draft.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Interview.load(path) == draft


def test_recording_an_item_outside_the_instrument_is_refused() -> None:
    bank = load_bank()
    with pytest.raises(ValidationError, match="not asked by instrument triage"):
        Interview.start("triage", "en", bank=bank).record("EX01", AnswerValue.YES, EvidenceSource.DOCUMENT, bank)


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValidationError, match="language"):
        Interview.start("triage", "de")  # type: ignore[arg-type]


def test_damaged_missing_or_foreign_drafts_are_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no interview draft"):
        Interview.load(tmp_path / "absent.json")
    truncated = tmp_path / "t.json"
    truncated.write_text('{"format": "ctdx.screening.interview/1", "instr', encoding="utf-8")
    with pytest.raises(InputFileError, match="not a readable JSON"):
        Interview.load(truncated)
    foreign = tmp_path / "f.json"
    foreign.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InputFileError, match="not a ctdx interview draft"):
        Interview.load(foreign)
    damaged = tmp_path / "d.json"
    raw = json.loads(Interview.start("triage", "en").model_dump_json())
    raw["answers"] = {"T01": {"value": "perhaps"}}
    damaged.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(InputFileError, match=r"answers\.T01\.value"):
        Interview.load(damaged)


def test_a_draft_from_another_bank_version_is_not_silently_rescored(tmp_path: Path) -> None:
    bank = load_bank()
    old = Interview.start("triage", "en", bank=bank).model_copy(update={"bank_version": "2020.1"})
    with pytest.raises(ConflictError, match=r"2020\.1"):
        old.result(bank)


@pytest.mark.parametrize(
    ("typed", "meaning"),
    [
        ("y", AnswerValue.YES),
        (" Oui \n", AnswerValue.YES),
        ("sí", AnswerValue.YES),
        ("N", AnswerValue.NO),
        ("u", AnswerValue.UNKNOWN),
        ("d", AnswerValue.DECLINED),
        ("s", "skip"),
        ("q", "stop"),
        ("maybe", None),
    ],
)
def test_keys(typed: str, meaning: object) -> None:
    assert parse_key(typed) == meaning
