"""The Delphi dimension rule and combination rules, clause by clause (WCMS_105023 p. 3 as transcribed)."""

from __future__ import annotations

import pytest

from ctdx.screening.rules import RULES, adult_rule, child_rule, dimension_clause


@pytest.mark.parametrize(
    ("weights", "clause"),
    [
        ("SS", "a"),
        ("SM", "b"),
        ("SW", "b"),
        ("MMM", "c"),
        ("MMW", "d"),
        ("S", None),
        ("MM", None),
        ("MWWWW", None),
        ("WWWWWW", None),
        ("", None),
    ],
)
def test_dimension_positive_clauses(weights: str, clause: str | None) -> None:
    found = dimension_clause(weights)
    assert (found[0] if found else None) == clause


def test_adult_rule_needs_recruitment_exploitation_and_coercion_or_vulnerability() -> None:
    base = dict.fromkeys(("D1", "D2", "D3", "D4", "D5", "D6"), False)
    assert not adult_rule(base)
    assert adult_rule({**base, "D2": True, "D4": True, "D6": True})
    assert not adult_rule({**base, "D1": True, "D4": True})
    assert not adult_rule({**base, "D4": True, "D5": True})
    assert not adult_rule({**base, "D1": True, "D5": True})


def test_child_rule_needs_an_act_and_exploitation_only() -> None:
    base = dict.fromkeys(("D1", "D2", "D3", "D4", "D5", "D6"), False)
    assert child_rule(True, {**base, "D4": True})
    assert not child_rule(False, {**base, "D4": True})
    assert not child_rule(True, base)


def test_every_rule_has_a_statement_and_a_source() -> None:
    for rule in RULES.values():
        assert len(rule.statement) > 20 and len(rule.source) > 10, rule.id
