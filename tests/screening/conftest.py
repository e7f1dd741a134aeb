"""Helpers for the screening tests: answer sets built the way an interviewer would fill them."""

from __future__ import annotations

from collections.abc import Iterable

from ctdx.screening import AnswerValue, load_bank


def answered(instrument: str, yes: Iterable[str], *, rest: AnswerValue = AnswerValue.NO) -> dict[str, str]:
    """Every item of ``instrument`` answered ``rest``, except the ``yes`` items (which may lie outside it)."""
    yes = set(yes)
    answers = {i: rest.value for i in load_bank().instrument(instrument).items}
    answers.update({i: AnswerValue.YES.value for i in yes})
    return answers
