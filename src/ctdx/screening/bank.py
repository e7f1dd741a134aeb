"""The indicator bank and the instruments, loaded from the versioned data files of this package.

``data/indicators.yaml`` holds every item (question in English, French and Spanish; phase; Palermo
elements; Delphi dimension and weights per profile; ILO-11 and ICLS tags; HTCDS values it fills);
``data/instruments.yaml`` lists the items each instrument asks. Both are checked on load: a bank that names
an unknown HTCDS value, lacks a translation or lists an unknown item is refused with every problem at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic import ValidationError as PydanticValidationError

from ctdx.errors import ConfigError, NotFoundError
from ctdx.standard import load_standard

LANGUAGES: tuple[str, ...] = ("en", "fr", "es")
DIMENSIONS: tuple[str, ...] = ("D1", "D2", "D3", "D4", "D5", "D6")
WEIGHT_TABLES: tuple[str, ...] = ("adult_labour", "adult_sexual", "child_labour", "child_sexual")
HTCDS_FIELDS = frozenset({"vic_MethodsOfControl", "vic_TypeOfExploitation"})

# Delphi dimension names and the Palermo element each is tied to (ILO/EC 2009, WCMS_105023; domain.md 2.1).
DIMENSION_NAMES: dict[str, str] = {
    "D1": "Deceptive recruitment",
    "D2": "Coercive recruitment",
    "D3": "Recruitment by abuse of vulnerability",
    "D4": "Exploitative conditions of work",
    "D5": "Coercion at destination",
    "D6": "Abuse of vulnerability at destination",
}

Weight = Literal["S", "M", "W"]
WEIGHT_MARKS: dict[str, Weight | None] = {"S": "S", "M": "M", "W": "W", "-": None}


class Role(StrEnum):
    """What an item is for, beyond being an indicator."""

    INDICATOR = "indicator"
    CONSENT = "consent"
    SMUGGLING = "smuggling"
    MINORITY_SIGN = "minority_sign"
    INTENDED_PURPOSE = "intended_purpose"
    EXPLOITATION_PURPOSE = "exploitation_purpose"
    JOURNEY_FAMILY = "journey_family"


class Item(BaseModel):
    """One question of the bank."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(pattern=r"^[A-Z]{1,4}[0-9]{2}$")]
    role: Role = Role.INDICATOR
    mode: Literal["ask", "observe"] = "ask"
    answer_type: Literal["yes_no"] = "yes_no"
    phase: Literal["recruitment", "transit", "destination"]
    elements: tuple[Literal["act", "means", "purpose"], ...] = ()
    dimension: Literal["D1", "D2", "D3", "D4", "D5", "D6"] | None = None
    w: Annotated[str | None, Field(pattern=r"^[SMW-]{4}$")] = None
    ilo11: tuple[Annotated[int, Field(ge=1, le=11)], ...] = ()
    icls: Literal["involuntariness", "threat_of_penalty"] | None = None
    htcds: tuple[str, ...] = ()
    labour: bool = False
    source: Annotated[str, Field(min_length=3)]
    text: dict[str, Annotated[str, Field(min_length=5)]]

    def weight(self, table: str) -> Weight | None:
        """The Delphi weight of this item in a weight table (``adult_labour`` ...), or None if not listed."""
        if self.w is None:
            return None
        return WEIGHT_MARKS[self.w[WEIGHT_TABLES.index(table)]]

    def htcds_values(self) -> tuple[tuple[str, str], ...]:
        return tuple((pair.split(":", 1)[0], pair.split(":", 1)[1]) for pair in self.htcds)


class Instrument(BaseModel):
    """A screening instrument: an ordered list of bank items and the rule it applies."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    version: str
    title: dict[str, str]
    rule: str
    items: tuple[str, ...]
    composite: tuple[str, ...] = ()


@dataclass(frozen=True)
class BankIndex:
    """The items grouped the ways the engine asks for them."""

    items: dict[str, Item]
    by_dimension: dict[str, tuple[Item, ...]]
    by_role: dict[Role, tuple[str, ...]]
    supporting: dict[str, tuple[str, ...]]
    involuntariness: tuple[str, ...]
    threat_of_penalty: tuple[str, ...]
    labour: tuple[str, ...]
    violence: frozenset[str]
    weights: dict[str, dict[str, Weight]]

    @classmethod
    def of(cls, items: tuple[Item, ...]) -> BankIndex:
        return cls(
            items={i.id: i for i in items},
            by_dimension={d: tuple(i for i in items if i.dimension == d) for d in DIMENSIONS},
            by_role={r: tuple(i.id for i in items if i.role == r) for r in Role},
            supporting={e: tuple(i.id for i in items if e in i.elements) for e in ("act", "means", "purpose")},
            involuntariness=tuple(i.id for i in items if i.icls == "involuntariness"),
            threat_of_penalty=tuple(i.id for i in items if i.icls == "threat_of_penalty"),
            labour=tuple(i.id for i in items if i.labour),
            # ILO forced-labour indicator 5: physical and sexual violence (ILO 2012).
            violence=frozenset(i.id for i in items if 5 in i.ilo11),
            weights={t: {i.id: w for i in items if (w := i.weight(t)) is not None} for t in WEIGHT_TABLES},
        )


class Bank(BaseModel):
    """The whole bank: items, instruments, interface strings, and their versions."""

    model_config = ConfigDict(frozen=True)

    version: str
    weights_version: str
    weights_verified: bool
    items: tuple[Item, ...]
    instruments: tuple[Instrument, ...]
    ui: dict[str, Any]

    _index: BankIndex | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any, /) -> None:
        self._index = BankIndex.of(self.items)

    @property
    def index(self) -> BankIndex:
        """Look-up tables over the items, built once (the engine scores many answer sets per result)."""
        assert self._index is not None
        return self._index

    def item(self, item_id: str) -> Item:
        try:
            return self.index.items[item_id]
        except KeyError:
            raise NotFoundError(f"no item {item_id!r} in indicator bank {self.version}", item=item_id) from None

    def item_ids(self) -> frozenset[str]:
        return frozenset(self.index.items)

    def instrument(self, instrument_id: str) -> Instrument:
        for instrument in self.instruments:
            if instrument.id == instrument_id:
                return instrument
        known = ", ".join(i.id for i in self.instruments)
        raise NotFoundError(f"no screening instrument {instrument_id!r} (known: {known})", instrument=instrument_id)

    def of_dimension(self, dimension: str) -> tuple[Item, ...]:
        return self.index.by_dimension[dimension]

    def with_role(self, role: Role) -> tuple[str, ...]:
        """The ids of the items with ``role``."""
        return self.index.by_role[role]


def _read(name: str) -> Any:
    return yaml.safe_load(resources.files("ctdx.screening").joinpath("data", name).read_text(encoding="utf-8"))


def _problems(bank: Bank) -> list[str]:
    """Every inconsistency in a bank (empty when it is sound)."""
    problems: list[str] = []
    standard = load_standard()
    seen: set[str] = set()
    for item in bank.items:
        if item.id in seen:
            problems.append(f"{item.id}: duplicate id")
        seen.add(item.id)
        for lang in LANGUAGES:
            if not item.text.get(lang, "").strip():
                problems.append(f"{item.id}: no {lang} text")
        if (item.dimension is None) != (item.w is None):
            problems.append(f"{item.id}: a Delphi dimension needs weights and weights need a dimension")
        for field, value in item.htcds_values():
            if field not in HTCDS_FIELDS or value not in standard.field(field).value_names:
                problems.append(f"{item.id}: {field}:{value} is not an HTCDS value")
    for instrument in bank.instruments:
        for lang in LANGUAGES:
            if not instrument.title.get(lang):
                problems.append(f"instrument {instrument.id}: no {lang} title")
        problems += [f"instrument {instrument.id}: unknown item {i}" for i in instrument.items if i not in seen]
        problems += [
            f"instrument {instrument.id}: composite item {i} is not asked"
            for i in instrument.composite
            if i not in instrument.items
        ]
        if len(set(instrument.items)) != len(instrument.items):
            problems.append(f"instrument {instrument.id}: an item is listed twice")
    return problems


def build_bank(indicators: Mapping[str, Any], instruments: Mapping[str, Any]) -> Bank:
    """A checked bank from the two parsed data files; ConfigError naming every problem if they are unsound."""
    try:
        bank = Bank(
            version=indicators["version"],
            weights_version=indicators["weights_version"],
            weights_verified=indicators["weights_verified"],
            items=tuple(Item.model_validate(raw) for raw in indicators["items"]),
            instruments=tuple(Instrument.model_validate(raw) for raw in instruments["instruments"]),
            ui=instruments["ui"],
        )
    except (KeyError, TypeError, PydanticValidationError) as exc:
        raise ConfigError(f"the indicator bank data is malformed: {exc}") from exc
    problems = _problems(bank)
    if problems:
        raise ConfigError(f"the indicator bank has {len(problems)} problem(s): " + "; ".join(problems))
    return bank


@cache
def load_bank() -> Bank:
    """The bank shipped with this package (cached: it never changes while a process runs)."""
    return build_bank(_read("indicators.yaml"), _read("instruments.yaml"))
