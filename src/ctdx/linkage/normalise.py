"""Normalise the identifying fields of a case into comparable parts before they are encoded or compared.

The same person is written down differently by a hotline, an NGO and the police: in Cyrillic or Arabic
script or in one of several Latin spellings, with or without diacritics, with given and family names in
either order, with a nickname, and often with only a year of birth or an estimated age. This module turns
each of those into one comparable form:

- **Transliteration** to Latin uses ``anyascii`` (ISC licence, maintained, table-driven, covers every
  Unicode script including Arabic, Cyrillic, Greek, Ethiopic, Devanagari and CJK). ``unidecode`` would do
  the same but is GPL-2.0, which does not fit an Apache-2.0 package that organisations embed.
- **Diacritics** disappear in the transliteration (``Trần`` -> ``tran``).
- **Compound names**: hyphens and spaces split a name into tokens; particles (``al``, ``bin``, ``van``,
  ``de`` ...) are fused with the token that follows, so ``Al-Hassan`` and ``Alhassan`` agree.
- **Name order** is not decided here: the person keeps given and family tokens apart, and the
  order-insensitive ``tokens`` and the swapped comparison in the scoring handle swaps.
- **Spelling variants across scripts**: Arabic script drops short vowels (``محمد`` -> ``mhmd``) while
  Latin spellings keep them (``Mohammed``, ``Muhammad``). ``skeleton`` reduces a token to its consonant
  frame with the common transliteration digraphs merged (``kh``/``h``, ``ph``/``f``, ``dzh``/``j``; ``w``
  and ``y`` count as vowels, as Arabic ``و`` and ``ي`` often write one). This is our own small rule set
  because no maintained library does it for mixed-script names (phonetic libraries such as Double
  Metaphone assume English spelling).
- **Nicknames** come from the data file ``data/nicknames.csv`` (``Sasha`` -> ``aleksandr``).
- **Birth dates** may be exact, month-only, year-only, or an age ("about 25 years old") that needs the
  date it was said; the result keeps the uncertainty as a range of years.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from anyascii import anyascii

from ctdx.errors import ValidationError

# Particles that belong to the following name token (Arabic, Persian, Dutch, German, Romance languages).
PARTICLES = frozenset(
    {
        "al",
        "el",
        "ul",
        "abd",
        "abdul",
        "abdel",
        "abu",
        "bin",
        "ibn",
        "bint",
        "ben",
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "di",
        "da",
        "dos",
        "das",
        "du",
        "la",
        "le",
        "mac",
        "mc",
        "st",
        "ter",
    }
)
# Honorifics dropped from name fields; they describe a role, not the person's name.
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "sr", "sra", "srta", "sheikh", "hajji", "haji"})

# Digraphs merged before vowels are dropped; order matters (longest first). Upper-case letters are
# placeholders that survive the single-letter rules and are lowered at the end.
_SKELETON_DIGRAPHS = (
    ("dzh", "J"),
    ("tch", "C"),
    ("sch", "S"),
    ("kh", "h"),
    ("gh", "g"),
    ("ph", "f"),
    ("th", "t"),
    ("dh", "d"),
    ("sh", "S"),
    ("zh", "J"),
    ("dj", "J"),
    ("ch", "C"),
    ("ck", "k"),
    ("ts", "z"),
)
_SKELETON_LETTERS = str.maketrans({"q": "k", "c": "k", "x": "k", "j": "J", "z": "s", "S": "s"})
_VOWELS = re.compile(r"[aeiouyw]")
_REPEATS = re.compile(r"(.)\1+")
_NON_NAME = re.compile(r"[^a-z ]+")

_AGE_TEXT = re.compile(
    r"^(?:(?P<about>about|approx(?:imately|\.)?|around|circa|ca\.?|c\.|~)\s*)?(?P<age>\d{1,3})\s*"
    r"(?:years?|yrs?|y/?o|y\.o\.)(?:\s*old)?$"
)
_APPROX_AGE = re.compile(r"^(?P<about>about|approx(?:imately|\.)?|around|circa|ca\.?|c\.|~)\s*(?P<age>\d{1,3})$")
_APPROX_YEAR = re.compile(r"^(?P<about>about|approx(?:imately|\.)?|around|circa|ca\.?|c\.|~)\s*(?P<year>\d{4})$")
_ISO = re.compile(r"^(?P<y>\d{4})(?:-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2}))?)?$")
_DAY_FIRST = re.compile(r"^(?P<d>\d{1,2})[./-](?P<m>\d{1,2})[./-](?P<y>\d{4})$")
_COMPACT = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")

# An age said in whole years at a known date fits two birth years; "about" widens that to +/- 2 years,
# the error of age estimation from appearance reported for adolescents and young adults (Schmeling et
# al., "Forensic age estimation", Dtsch Arztebl Int 2016;113:44-50: +/- 1 to 2.5 years).
EXACT_AGE_YEARS_ERROR = 1
ABOUT_AGE_YEARS_ERROR = 2
ABOUT_YEAR_ERROR = 1
OLDEST_AGE = 120


def latinise(text: str) -> str:
    """The text in lower-case ASCII letters and spaces: any script transliterated, diacritics gone."""
    ascii_text = anyascii(unicodedata.normalize("NFKC", text)).lower()
    # Transliterated Arabic hamza and ain come out as ' and `; they carry no letter in Latin spellings.
    ascii_text = ascii_text.replace("'", "").replace("`", "")
    return " ".join(_NON_NAME.sub(" ", ascii_text).split())


def normalise_token(token: str) -> str:
    """One name token in canonical form: latinised, and a known nickname replaced by the full name."""
    latin = latinise(token).replace(" ", "")
    return nicknames().get(latin, latin)


@lru_cache(maxsize=1 << 16)
def skeleton(token: str) -> str:
    """The consonant frame of a latinised token, so spellings from different scripts agree."""
    text = token
    for digraph, replacement in _SKELETON_DIGRAPHS:
        text = text.replace(digraph, replacement)
    text = text.translate(_SKELETON_LETTERS)
    text = _VOWELS.sub("", text).lower()
    return _REPEATS.sub(r"\1", text)


def split_name(text: str | None) -> tuple[str, ...]:
    """The tokens of one name field: latinised, honorifics dropped, particles fused with what follows."""
    if not text:
        return ()
    words = [w for w in latinise(text).split() if w not in HONORIFICS]
    tokens: list[str] = []
    pending = ""
    for word in words:
        if word in PARTICLES:
            pending += word
            continue
        tokens.append(pending + word)
        pending = ""
    if pending:
        tokens.append(pending)
    return tuple(tokens)


@dataclass(frozen=True)
class PersonName:
    """A person's name as comparable tokens; the given tokens have nicknames resolved."""

    given: tuple[str, ...]
    family: tuple[str, ...]

    @property
    def tokens(self) -> tuple[str, ...]:
        """Every token, sorted: the same whichever field each part was written in."""
        return tuple(sorted(self.given + self.family))

    @property
    def skeletons(self) -> tuple[str, ...]:
        return tuple(sorted({s for s in (skeleton(t) for t in self.tokens) if s}))

    @property
    def empty(self) -> bool:
        return not self.given and not self.family


def normalise_name(
    first: str | None, second: str | None = None, middle: str | None = None, nicknames_resolved: bool = True
) -> PersonName:
    """A person's name from the HTCDS fields ``prs_FirstName``, ``prs_MiddleName`` and ``prs_SecondName``."""
    given = split_name(first) + split_name(middle)
    if nicknames_resolved:
        table = nicknames()
        given = tuple(table.get(t, t) for t in given)
    return PersonName(given=given, family=split_name(second))


@cache
def nicknames() -> dict[str, str]:
    """The nickname table of ``data/nicknames.csv``: latinised short form -> canonical given name."""
    text = resources.files("ctdx.linkage").joinpath("data/nicknames.csv").read_text(encoding="utf-8")
    rows = csv.reader(line for line in text.splitlines() if line and not line.startswith("#"))
    header = next(rows)
    if header != ["nickname", "canonical"]:
        raise ValidationError("the nickname table has an unexpected header", field="nicknames.csv")
    table: dict[str, str] = {}
    for row in rows:
        short, canonical = (latinise(cell).replace(" ", "") for cell in row)
        table[short] = canonical
    return table


@dataclass(frozen=True)
class BirthDate:
    """A birth date as far as it is known: ``year`` may be a central estimate with ``year_error`` years."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    year_error: int = 0

    @property
    def known(self) -> bool:
        return self.year is not None

    @property
    def years(self) -> range:
        """Every birth year the record allows (empty when nothing is known)."""
        if self.year is None:
            return range(0)
        return range(self.year - self.year_error, self.year + self.year_error + 1)

    @property
    def precision(self) -> str:
        if self.year is None:
            return "unknown"
        if self.year_error:
            return "estimated"
        if self.day is not None:
            return "day"
        return "month" if self.month is not None else "year"


UNKNOWN_BIRTH_DATE = BirthDate()


def parse_birth_date(
    value: dt.date | str | int | None, *, reference: dt.date | None = None, field: str = "prs_Birthdate"
) -> BirthDate:
    """A ``BirthDate`` from a date, an ISO or day-first string, a year, or an age said at ``reference``.

    Raises ``ValidationError`` (naming the field, never the value) when the text is not a birth date, or
    when an age is given without the date it was said.
    """
    if value is None:
        return UNKNOWN_BIRTH_DATE
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return BirthDate(value.year, value.month, value.day)
    if isinstance(value, bool):
        raise ValidationError("a birth date cannot be a yes/no value", field=field)
    if isinstance(value, int):
        return _checked(BirthDate(value), field)
    text = " ".join(value.strip().lower().split())
    if not text or text in {"unknown", "n/a", "na", "-"}:
        return UNKNOWN_BIRTH_DATE
    for pattern in (_ISO, _DAY_FIRST, _COMPACT):
        match = pattern.match(text)
        if match:
            parts = match.groupdict()
            return _checked(
                BirthDate(int(parts["y"]), _int(parts.get("m")), _int(parts.get("d"))),
                field,
            )
    match = _APPROX_YEAR.match(text)
    if match:
        return _checked(BirthDate(int(match["year"]), year_error=ABOUT_YEAR_ERROR), field)
    match = _AGE_TEXT.match(text) or _APPROX_AGE.match(text)
    if match:
        if reference is None:
            raise ValidationError("a birth date given as an age needs the date the age was recorded", field=field)
        age = int(match["age"])
        if age > OLDEST_AGE:
            raise ValidationError(f"an age above {OLDEST_AGE} years is not a plausible age", field=field)
        error = ABOUT_AGE_YEARS_ERROR if match["about"] else EXACT_AGE_YEARS_ERROR
        # Someone aged N on the reference date was born in year (ref - N) or (ref - N - 1).
        central = reference.year - age if match["about"] else reference.year - age - 1
        birth = BirthDate(central, year_error=error)
        return _checked(birth, field, reference)
    raise ValidationError("the birth date is neither a date, a year nor an age in years", field=field)


def _int(text: str | None) -> int | None:
    return int(text) if text else None


def _checked(birth: BirthDate, field: str, reference: dt.date | None = None) -> BirthDate:
    today = reference or dt.date.today()
    assert birth.year is not None
    if not 1850 <= birth.year <= today.year + 1:
        raise ValidationError("the birth year is outside the plausible range", field=field)
    if birth.month is not None and not 1 <= birth.month <= 12:
        # A day-month swap ("1990-25-05") is kept as written: the scoring matches swapped pairs.
        if birth.day is not None and 1 <= birth.month <= 31 and 1 <= birth.day <= 12:
            return BirthDate(birth.year, birth.day, birth.month)
        raise ValidationError("the birth month is not between 1 and 12", field=field)
    if birth.day is not None:
        assert birth.month is not None
        try:
            dt.date(birth.year, birth.month, birth.day)
        except ValueError:
            raise ValidationError("the birth day does not exist in that month", field=field) from None
    return birth


SEX_CODES = {
    "Feminine": "f",
    "Masculine": "m",
    "TransgenderFeminine": "tf",
    "TransgenderMasculine": "tm",
    "NonConforming": "nc",
}


def normalise_sex(value: object) -> str | None:
    """A short code for the HTCDS ``prs_Gender`` value; unknown or unspecified gives ``None``."""
    if value is None or value == "NonSpecifiedUnknown":
        return None
    if isinstance(value, str) and value in SEX_CODES:
        return SEX_CODES[value]
    raise ValidationError("prs_Gender holds a value outside the HTCDS picklist", field="prs_Gender")


def normalise_citizenship(value: object) -> tuple[str, ...]:
    """The sorted ISO 3166-1 alpha-2 codes of ``prs_Citizenship`` (a multi-select, or one code)."""
    if value is None:
        return ()
    codes = (value,) if isinstance(value, str) else value
    if not isinstance(codes, tuple | list) or not all(isinstance(c, str) and len(c) == 2 for c in codes):
        raise ValidationError("prs_Citizenship must hold ISO 3166-1 alpha-2 codes", field="prs_Citizenship")
    return tuple(sorted({c.upper() for c in codes}))


@dataclass(frozen=True)
class Identity:
    """The comparable identifying parts of one case: what the encodings are built from."""

    name: PersonName
    birth: BirthDate
    sex: str | None
    citizenship: tuple[str, ...]
    # Optional address parts (street, city, state, postcode) from the HTCDS mailing address, for
    # organisations that record one; encoded only when the encoding config asks for them.
    address: tuple[tuple[str, str], ...] = ()


def identity_of(values: Mapping[str, object]) -> Identity:
    """The ``Identity`` of a case from its HTCDS values (``CaseRecord.values``).

    A birth date written as text ("about 25 years old") is read against the identification date, or the
    date the case was opened, whichever is known.
    """
    reference = values.get("ext_IdentificationDate") or values.get("ext_CaseOpenedDate")
    raw_birth = values.get("prs_Birthdate")
    if raw_birth is not None and not isinstance(raw_birth, dt.date | str | int):
        raise ValidationError("prs_Birthdate must be a date, a year or a text", field="prs_Birthdate")
    return Identity(
        name=normalise_name(
            _text(values, "prs_FirstName"), _text(values, "prs_SecondName"), _text(values, "prs_MiddleName")
        ),
        birth=parse_birth_date(raw_birth, reference=reference if isinstance(reference, dt.date) else None),
        sex=normalise_sex(values.get("prs_Gender")),
        citizenship=normalise_citizenship(values.get("prs_Citizenship")),
        address=tuple((part, text) for part, name in ADDRESS_PARTS if (text := _text(values, name)) and text.strip()),
    )


ADDRESS_PARTS = (
    ("street", "prs_MailingStreet"),
    ("city", "prs_MailingCity"),
    ("state", "prs_MailingState"),
    ("postcode", "prs_MailingPostalCode"),
)


def _text(values: Mapping[str, object], field: str) -> str | None:
    value = values.get(field)
    if value is None or isinstance(value, str):
        return value
    raise ValidationError("a name field must hold text", field=field)
