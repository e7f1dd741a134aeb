"""Each kind of corruption changes an identity the way its name says, and only when it can."""

from __future__ import annotations

import datetime as dt

import pytest

from ctdx.sample.corruption import CORRUPTIONS, KINDS, Dice, Identity, corrupt
from ctdx.sample.names import load_names


def _identity(**changes: object) -> Identity:
    values: dict[str, object] = {
        "given": "Oleksandr",
        "middle": None,
        "family": "Shevchenko",
        "birthdate": dt.date(1994, 3, 7),
        "citizenship": "UA",
        "phone": "+380501234567",
        "identity_number": "KE123456",
        "gender": "Masculine",
    }
    values.update(changes)
    return Identity(**values)  # type: ignore[arg-type]


UKRAINIAN = load_names().groups[load_names().group_index("ukrainian")]
HISPANIC = load_names().groups[load_names().group_index("hispanic")]
DICE = [0.0, 0.13, 0.37, 0.61, 0.87, 0.99]


def _names(identity: Identity) -> tuple[str | None, str | None]:
    return identity.given, identity.family


def test_kinds_and_functions_agree() -> None:
    assert set(KINDS) == set(CORRUPTIONS)


@pytest.mark.parametrize("u", DICE)
def test_typos_change_one_name_by_one_edit(u: float) -> None:
    for kind, delta in (("typo_insert", 1), ("typo_delete", -1), ("typo_substitute", 0), ("typo_transpose", 0)):
        identity = _identity()
        assert CORRUPTIONS[kind](identity, UKRAINIAN, Dice([u] * 8))
        changed = [
            (old, new) for old, new in zip(("Oleksandr", "Shevchenko"), _names(identity), strict=True) if old != new
        ]
        assert len(changed) == 1, kind
        old, new = changed[0]
        assert new is not None and len(new) - len(old) == delta and new[0].isupper(), (kind, new)
        if kind == "typo_transpose":
            assert sorted(new.lower()) == sorted(old.lower())


def test_transliteration_uses_a_known_spelling() -> None:
    identity = _identity(family=None)
    assert CORRUPTIONS["transliteration"](identity, UKRAINIAN, Dice([0.5]))
    assert identity.given in UKRAINIAN.spellings("Oleksandr")
    accented = _identity(given="José", family=None)
    assert CORRUPTIONS["transliteration"](accented, HISPANIC, Dice([0.0]))
    assert accented.given == "Jose"


def test_name_swap_day_month_swap_and_year_only() -> None:
    identity = _identity()
    assert CORRUPTIONS["name_swap"](identity, UKRAINIAN, Dice([0.5]))
    assert _names(identity) == ("Shevchenko", "Oleksandr")
    assert CORRUPTIONS["day_month_swap"](identity, UKRAINIAN, Dice([0.5]))
    assert identity.birthdate == dt.date(1994, 7, 3)
    assert CORRUPTIONS["year_only_birthdate"](identity, UKRAINIAN, Dice([0.5]))
    assert identity.birthdate == dt.date(1994, 1, 1)


def test_a_kind_that_cannot_apply_says_so() -> None:
    late_day = _identity(birthdate=dt.date(1994, 3, 17))
    assert not CORRUPTIONS["day_month_swap"](late_day, UKRAINIAN, Dice([0.5]))
    assert not CORRUPTIONS["name_swap"](_identity(family=None), UKRAINIAN, Dice([0.5]))
    assert not CORRUPTIONS["surname_dropped"](_identity(), UKRAINIAN, Dice([0.5]))
    assert not CORRUPTIONS["year_only_birthdate"](_identity(birthdate=None), UKRAINIAN, Dice([0.5]))


def test_surname_dropped_keeps_the_first_family_name() -> None:
    identity = _identity(given="María", family="García López")
    assert CORRUPTIONS["surname_dropped"](identity, HISPANIC, Dice([0.5]))
    assert identity.family == "García"


@pytest.mark.parametrize("u", DICE)
def test_missing_value_drops_one_value_and_never_both_names(u: float) -> None:
    identity = _identity(family=None, birthdate=None, phone=None, identity_number=None, gender=None)
    assert CORRUPTIONS["missing_value"](identity, UKRAINIAN, Dice([u]))
    assert identity.given == "Oleksandr" and identity.citizenship is None
    assert not CORRUPTIONS["missing_value"](identity, UKRAINIAN, Dice([u]))


def test_corrupt_falls_back_and_reports_what_applied() -> None:
    identity = _identity(birthdate=dt.date(1994, 3, 17))
    applied = corrupt(identity, UKRAINIAN, ["day_month_swap"], Dice([0.3] * 8))
    assert applied == ["typo_substitute"]
    assert _names(identity) != ("Oleksandr", "Shevchenko")
