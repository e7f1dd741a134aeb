"""Realistic corruption of a person's identity when a second record of them is written.

The kinds are those record linkage meets in case files (benchmarks.md B3, B8 LD5): typing errors (a letter
inserted, deleted, substituted by a keyboard neighbour, or two letters transposed), another spelling of a
name (transliteration or missing diacritics), given and family name swapped, day and month of the birth
date swapped, a birth date known only by its year (recorded as 1 January), one of two family names left
out (``García López`` recorded as ``García``), and a value not recorded.
Each function changes the identity in place and says whether it could apply; the caller names the kinds
that applied in the ground truth, never in the records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ctdx.sample.names import NameGroup

KINDS = (
    "typo_insert",
    "typo_delete",
    "typo_substitute",
    "typo_transpose",
    "transliteration",
    "name_swap",
    "day_month_swap",
    "year_only_birthdate",
    "surname_dropped",
    "missing_value",
)

# Neighbouring keys on a QWERTY keyboard, for substitution typos.
_KEYBOARD = (
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
)
_NEIGHBOURS: dict[str, str] = {}
for _r, _row in enumerate(_KEYBOARD):
    for _c, _key in enumerate(_row):
        near = [_row[j] for j in (_c - 1, _c + 1) if 0 <= j < len(_row)]
        # Rows are staggered: the keys above sit at columns c and c+1, the keys below at c-1 and c.
        for other, columns in ((_r - 1, (_c, _c + 1)), (_r + 1, (_c - 1, _c))):
            if 0 <= other < len(_KEYBOARD):
                near += [_KEYBOARD[other][j] for j in columns if 0 <= j < len(_KEYBOARD[other])]
        _NEIGHBOURS[_key] = "".join(near)
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"

# Fields a record can lose; names only while the other name remains.
_DROPPABLE = ("birthdate", "citizenship", "phone", "identity_number", "gender", "middle", "given", "family")


@dataclass
class Identity:
    """The identifying values of one record while it is being corrupted (``None`` = not recorded)."""

    given: str | None
    middle: str | None
    family: str | None
    birthdate: dt.date | None
    citizenship: str | None
    phone: str | None
    identity_number: str | None
    gender: str | None


class Dice:
    """Pre-drawn uniform numbers for one record, so the loop over duplicates makes no numpy calls."""

    def __init__(self, uniforms: Sequence[float]) -> None:
        self._uniforms = uniforms
        self._next = 0

    def u(self) -> float:
        value = self._uniforms[self._next % len(self._uniforms)]
        self._next += 1
        return float(value)

    def index(self, n: int) -> int:
        return min(int(self.u() * n), n - 1)

    def pick(self, items: Sequence[str]) -> str:
        return items[self.index(len(items))]


def _recase(new: str, old: str) -> str:
    """Keep the capital where a name starts (a typo at the first letter keeps it capitalised)."""
    if not new or not old[:1].isupper():
        return new
    second = new[1:2].lower() if old[1:2].islower() else new[1:2]
    return new[0].upper() + second + new[2:]


def _name_field(identity: Identity, dice: Dice) -> str | None:
    """Which name a typo or spelling change hits: given or family, whichever is recorded."""
    present = [f for f in ("given", "family") if getattr(identity, f)]
    return dice.pick(present) if present else None


def _typo(edit: Callable[[str, Dice], str | None]) -> Callable[[Identity, NameGroup, Dice], bool]:
    def apply(identity: Identity, group: NameGroup, dice: Dice) -> bool:
        name_field = _name_field(identity, dice)
        if name_field is None:
            return False
        old: str = getattr(identity, name_field)
        new = edit(old, dice)
        if new is None or new == old or not new.strip():
            return False
        setattr(identity, name_field, _recase(new, old))
        return True

    return apply


def _insert(s: str, dice: Dice) -> str:
    pos = 1 + dice.index(len(s))
    near = _NEIGHBOURS.get(s[pos - 1].lower(), _ALPHABET)
    return s[:pos] + dice.pick(near + s[pos - 1].lower()) + s[pos:]


def _delete(s: str, dice: Dice) -> str | None:
    if len(s) < 3:
        return None
    pos = dice.index(len(s))
    return s[:pos] + s[pos + 1 :]


def _substitute(s: str, dice: Dice) -> str | None:
    pos = dice.index(len(s))
    if not s[pos].isalpha():
        return None
    options = _NEIGHBOURS.get(s[pos].lower(), _ALPHABET)
    return s[:pos] + dice.pick(options) + s[pos + 1 :]


def _transpose(s: str, dice: Dice) -> str | None:
    spots = [i for i in range(len(s) - 1) if s[i] != s[i + 1] and s[i].isalpha() and s[i + 1].isalpha()]
    if not spots:
        return None
    pos = dice.pick([str(i) for i in spots])
    i = int(pos)
    return s[:i] + s[i + 1] + s[i] + s[i + 2 :]


def _transliteration(identity: Identity, group: NameGroup, dice: Dice) -> bool:
    candidates = [f for f in ("given", "family") if getattr(identity, f) and group.spellings(getattr(identity, f))]
    if not candidates:
        return False
    name_field = dice.pick(candidates)
    setattr(identity, name_field, dice.pick(group.spellings(getattr(identity, name_field))))
    return True


def _name_swap(identity: Identity, group: NameGroup, dice: Dice) -> bool:
    if not identity.given or not identity.family:
        return False
    identity.given, identity.family = identity.family, identity.given
    return True


def _day_month_swap(identity: Identity, group: NameGroup, dice: Dice) -> bool:
    born = identity.birthdate
    if born is None or born.day > 12 or born.day == born.month:
        return False
    identity.birthdate = dt.date(born.year, born.day, born.month)
    return True


def _year_only(identity: Identity, group: NameGroup, dice: Dice) -> bool:
    born = identity.birthdate
    if born is None or (born.month, born.day) == (1, 1):
        return False
    identity.birthdate = dt.date(born.year, 1, 1)
    return True


def _surname_dropped(identity: Identity, group: NameGroup, dice: Dice) -> bool:
    if not identity.family or " " not in identity.family:
        return False
    identity.family = identity.family.rsplit(" ", 1)[0]
    return True


def _missing_value(identity: Identity, group: NameGroup, dice: Dice) -> bool:
    present = [f for f in _DROPPABLE if getattr(identity, f) is not None]
    if not identity.given or not identity.family:
        present = [f for f in present if f not in ("given", "family")]
    if not present:
        return False
    setattr(identity, dice.pick(present), None)
    return True


CORRUPTIONS: dict[str, Callable[[Identity, NameGroup, Dice], bool]] = {
    "typo_insert": _typo(_insert),
    "typo_delete": _typo(_delete),
    "typo_substitute": _typo(_substitute),
    "typo_transpose": _typo(_transpose),
    "transliteration": _transliteration,
    "name_swap": _name_swap,
    "day_month_swap": _day_month_swap,
    "year_only_birthdate": _year_only,
    "surname_dropped": _surname_dropped,
    "missing_value": _missing_value,
}
FALLBACK = ("typo_substitute", "missing_value")


def corrupt(identity: Identity, group: NameGroup, kinds: Sequence[str], dice: Dice) -> list[str]:
    """Apply ``kinds`` in turn (a kind that cannot apply falls back to a typo or a missing value);
    return the kinds that applied."""
    applied: list[str] = []
    for kind in kinds:
        for attempt in (kind, *FALLBACK):
            if CORRUPTIONS[attempt](identity, group, dice):
                applied.append(attempt)
                break
    return applied
