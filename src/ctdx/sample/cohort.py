"""A seeded sample cohort: HTCDS case records of generated people, some recorded more than once.

``generate_cohort`` draws people (``ctdx.sample.people``) whose attributes follow the published CTDC
figures (``data/marginals.json``), gives each one or more records at one or more organisations, leaves
fields absent as often as CTDC data does, and corrupts the identity on the repeat records the way case
files differ (``ctdx.sample.corruption``). Which records are the same person is the ground truth: it
travels beside the records (``CohortChunk.truth``), never inside them.

The cohort is produced in chunks of ``CHUNK_RECORDS`` records, each from its own seed derived from the
cohort seed and the chunk number, so memory stays bounded and the same seed always gives the same
records. Within a chunk everything is vectorised with numpy; only the repeat records are corrupted in a
Python loop.

Our own generator rather than Faker or gecko-syndata (benchmarks.md B7): their name lists are per locale
and often in the original script, carry no frequencies we control, change between releases (so a seed
would not give the same files), and know nothing of HTCDS fields or CTDC figures; the corruption kinds
are a few lines each (``ctdx.sample.corruption``) and must be recorded per record in the truth.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ctdx import __version__
from ctdx.errors import ValidationError
from ctdx.model import CaseRecord, FieldValue, SourceRef
from ctdx.sample.corruption import Dice, Identity, corrupt
from ctdx.sample.names import NameBank, ObjectArray, load_names
from ctdx.sample.people import DateArray, People, draw_people, tuples
from ctdx.sample.targets import Categorical, IntArray, Targets, draw_index, load_targets
from ctdx.standard import Standard, country_name, load_standard

GENERATOR_VERSION = "1"
CHUNK_RECORDS = 20_000
MAX_CASES = 100_000_000
MAX_ORGANISATIONS = 500
LAST_DAY = np.datetime64("2023-12-31", "D")
ORG_CODES = {
    "NGO": "ngo",
    "LawEnforcement": "police",
    "CentralGovernmentOrganisation": "gov",
    "LocalGovernmentOrganisation": "local",
    "HealthServiceOrganisation": "health",
    "LegalService": "legal",
    "ImmigrationService": "immigration",
    "CorporateBusiness": "business",
    "SchoolOrCollege": "school",
}

# The fields a sample record can hold, in the column order of the files.
FIELDS = (
    "prs_FirstName",
    "prs_MiddleName",
    "prs_SecondName",
    "prs_Birthdate",
    "prs_Gender",
    "prs_Citizenship",
    "prs_IdentityNumber",
    "prs_MobilePhone",
    "vic_TraffickingStatus",
    "vic_TraffickingStatusDecisionMakingOrg",
    "vic_RelationshipToTrafficker",
    "vic_AgeWhenTrafficked",
    "vic_MethodOfRecruitment",
    "vic_MethodsOfControl",
    "vic_TypeOfExploitation",
    "vic_ForcedLabourIndustry",
    "vic_TypeOfSexExploitation",
    "cas_Status",
    "con_Consent",
    "ext_CaseOpenedDate",
    "ext_IdentificationDate",
    "ext_CountryOfIdentification",
    "ext_CountryOfExploitation",
    "ext_ExploitationStart",
    "ext_ExploitationEnd",
)


@dataclass(frozen=True)
class Organisation:
    """A generated organisation: its code (file name and record-id prefix), name, HTCDS type and country."""

    code: str
    name: str
    type: str
    country: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "org_Type": self.type, "country": self.country}


@dataclass(frozen=True)
class TruthRow:
    """Which person a record is, and the corruptions its identity went through (empty for a first record)."""

    source_record_id: str
    org: str
    person_id: str
    corruptions: tuple[str, ...]


@dataclass(frozen=True)
class CohortChunk:
    """Up to ``CHUNK_RECORDS`` records as typed columns (``None`` = absent), grouped by organisation; the
    truth (person, corruptions) in lists beside them."""

    index: int
    record_ids: list[str]
    orgs: list[str]
    person_ids: list[str]
    corruptions: list[tuple[str, ...]]
    columns: dict[str, list[FieldValue | None]]

    def __len__(self) -> int:
        return len(self.record_ids)

    def values(self, i: int) -> dict[str, FieldValue]:
        """The fields record ``i`` holds."""
        return {name: v for name, column in self.columns.items() if (v := column[i]) is not None}

    def records(self) -> list[CaseRecord]:
        return [
            CaseRecord(source=SourceRef(system=org, record_id=rid), values=self.values(i))
            for i, (rid, org) in enumerate(zip(self.record_ids, self.orgs, strict=True))
        ]

    def truth(self) -> list[TruthRow]:
        return [
            TruthRow(rid, org, pid, kinds)
            for rid, org, pid, kinds in zip(self.record_ids, self.orgs, self.person_ids, self.corruptions, strict=True)
        ]


@dataclass(frozen=True)
class Cohort:
    """A cohort to be generated: iterate ``chunks()`` (or ``records()``) to produce it."""

    cases: int
    seed: int
    organisations: tuple[Organisation, ...]

    @property
    def generator_version(self) -> str:
        return f"ctdx {__version__} sample {GENERATOR_VERSION} (targets {load_targets().version})"

    @property
    def chunk_count(self) -> int:
        return -(-self.cases // CHUNK_RECORDS)

    def chunk(self, index: int) -> CohortChunk:
        """Chunk ``index`` on its own: chunks depend only on the seed and their number, so they can be made in
        any order or in parallel."""
        start = index * CHUNK_RECORDS
        draft = _draft(_Context.build(self), index, min(CHUNK_RECORDS, self.cases - start))
        orgs = [self.organisations[o].code for o in draft.org.tolist()]
        # Record numbers come from one sequence shared by the organisations, so each organisation's are
        # increasing but not contiguous, as in a case system that numbers every record it holds.
        record_ids = [f"{code}-{start + i + 1:08d}" for i, code in enumerate(orgs)]
        return CohortChunk(index, record_ids, orgs, draft.person_ids, draft.corruptions, draft.columns)

    def chunks(self) -> Iterator[CohortChunk]:
        for index in range(self.chunk_count):
            yield self.chunk(index)

    def records(self) -> Iterator[CaseRecord]:
        for chunk in self.chunks():
            yield from chunk.records()


def generate_cohort(cases: int, orgs: int, seed: int) -> Cohort:
    """A cohort of ``cases`` records at ``orgs`` organisations, the same for the same ``seed``."""
    if not 1 <= cases <= MAX_CASES:
        raise ValidationError(f"cases must be between 1 and {MAX_CASES:,}", field="cases")
    if not 1 <= orgs <= min(cases, MAX_ORGANISATIONS):
        raise ValidationError(
            f"orgs must be between 1 and {MAX_ORGANISATIONS} and not more than the cases", field="orgs"
        )
    if seed < 0:
        raise ValidationError("seed must be 0 or more", field="seed")
    return Cohort(cases, seed, make_organisations(orgs))


def make_organisations(count: int) -> tuple[Organisation, ...]:
    """``count`` organisations in the countries where most victims are identified, of varied HTCDS types."""
    targets = load_targets()
    origin = targets.number("flows", "identified_in_origin")
    weight: dict[str, float] = {}
    for country, share in targets.flows.exploitation_shares().items():
        weight[country] = weight.get(country, 0.0) + share * (1 - origin)
    for country, share in targets.flows.citizenship_shares().items():
        weight[country] = weight.get(country, 0.0) + share * origin
    countries = sorted(weight, key=lambda c: (-weight[c], c))
    types: list[str] = targets.raw["organisations"]["types"]
    labels = {v.name: v.label for v in load_standard().field("org_Type").values}
    width = max(2, len(str(count)))
    out = []
    for i in range(count):
        country, org_type = countries[i % len(countries)], types[i % len(types)]
        out.append(
            Organisation(
                code=f"{country.lower()}-{ORG_CODES[org_type]}-{i + 1:0{width}d}",
                name=f"Sample {labels[org_type]} {i + 1} ({country_name(country)})",
                type=org_type,
                country=country,
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class _Context:
    seed: int
    targets: Targets
    names: NameBank
    standard: Standard
    org_countries: IntArray
    org_weights: npt.NDArray[np.float64]

    @classmethod
    def build(cls, cohort: Cohort) -> _Context:
        k = len(cohort.organisations)
        weights = 1.0 / np.sqrt(np.arange(1, k + 1, dtype=np.float64))
        return cls(
            seed=cohort.seed,
            targets=load_targets(),
            names=load_names(),
            standard=load_standard(),
            org_countries=np.array([_country_index(o.country) for o in cohort.organisations], dtype=np.int64),
            org_weights=weights / weights.sum(),
        )


@dataclass(frozen=True)
class _Draft:
    org: IntArray
    person_ids: list[str]
    corruptions: list[tuple[str, ...]]
    columns: dict[str, list[FieldValue | None]]


def _records_per_person(rng: np.random.Generator, duplicates: Categorical, n: int) -> IntArray:
    """How many records each person has, adding up to exactly ``n``."""
    sizes = np.array([int(v) for v in duplicates.values], dtype=np.int64)
    mean = float((sizes * duplicates.probs).sum())
    counts = sizes[duplicates.draw(rng, int(n / mean * 1.05) + 16)]
    while counts.sum() < n:
        counts = np.concatenate([counts, sizes[duplicates.draw(rng, 16)]])
    total = np.cumsum(counts)
    cut = int(np.searchsorted(total, n))
    counts = counts[: cut + 1].copy()
    counts[-1] -= int(total[cut]) - n
    return counts


def _country_index(country: str) -> int:
    """Organisations are based in countries of the flows (``make_organisations``)."""
    return load_targets().flows.countries.index(country)


def _assign_organisations(
    rng: np.random.Generator, context: _Context, country: IntArray, first: IntArray, repeat: npt.NDArray[np.bool_]
) -> IntArray:
    """An organisation per record: mostly one in the country of identification; repeats at the same one or
    another, as the targets say."""
    n, k = len(country), len(context.org_countries)
    org = draw_index(rng, context.org_weights, n)
    own = rng.random(n) < context.targets.number("organisations", "own_country")
    for c in np.unique(context.org_countries).tolist():
        members = np.flatnonzero(context.org_countries == c)
        mask = own & (country == c)
        org[mask] = members[rng.integers(0, len(members), int(mask.sum()))]
    first_org = org[first]
    same = repeat & (rng.random(n) < context.targets.number("duplicates", "same_organisation"))
    org[same] = first_org[same]
    if k > 1:
        clash = repeat & ~same & (org == first_org)
        org[clash] = (first_org[clash] + 1 + rng.integers(0, k - 1, int(clash.sum()))) % k
    return org


def _kept(rng: np.random.Generator, n: int, missing: float) -> npt.NDArray[np.bool_]:
    return rng.random(n) >= missing


def _dates(values: DateArray, kept: npt.NDArray[np.bool_]) -> list[FieldValue | None]:
    result: list[FieldValue | None] = np.where(kept, values, np.datetime64("NaT")).astype(object).tolist()
    return result


def _objects(values: ObjectArray, kept: npt.NDArray[np.bool_]) -> list[FieldValue | None]:
    out = values.copy()
    out[~kept] = None
    result: list[FieldValue | None] = out.tolist()
    return result


def _draft(context: _Context, index: int, n: int) -> _Draft:
    rng = np.random.default_rng(np.random.SeedSequence([context.seed, index]))
    t = context.targets
    counts = _records_per_person(rng, t.duplicates, n)
    people = draw_people(rng, len(counts), t, context.names, context.standard)
    person = np.repeat(np.arange(len(counts)), counts)
    first = (np.cumsum(counts) - counts)[person]
    repeat = np.arange(n) != first
    later = np.where(repeat, rng.integers(1, int(t.number("duplicates", "later_days_max")) + 1, n), 0)
    opened = np.minimum(people.opened[person] + later.astype("timedelta64[D]"), LAST_DAY)
    identified = opened - (people.opened - people.identified)[person]
    org = _assign_organisations(rng, context, people.identification_country[person], first, repeat)
    order = rng.permutation(n)
    order = order[np.argsort(org[order], kind="stable")]
    person, repeat, opened, identified, org = person[order], repeat[order], opened[order], identified[order], org[order]

    # An organisation identifies the people it records in its own country; most come from there anyway.
    identified_in = context.org_countries[org]
    columns = _columns(rng, t, people, person, opened, identified, identified_in)
    corruptions = _corrupt_repeats(rng, t, context.names, people, person, repeat, columns)
    base = index * CHUNK_RECORDS
    return _Draft(org, [f"P{base + p:09d}" for p in person.tolist()], corruptions, columns)


def _columns(
    rng: np.random.Generator,
    t: Targets,
    people: People,
    person: IntArray,
    opened: DateArray,
    identified: DateArray,
    identified_in: IntArray,
) -> dict[str, list[FieldValue | None]]:
    n = len(person)
    countries = np.array(people.countries, dtype=object)
    citizenship = tuples([(c,) for c in people.countries])
    ident = t.raw["identities"]
    status_kept = _kept(rng, n, t.missing("trafficking_status"))
    types_kept = _kept(rng, n, t.missing("exploitation"))
    exploitation = people.exploitation[person]
    labour = np.array(["ForcedLabour" in v for v in exploitation.tolist()], dtype=bool)
    sexual = np.array(["SexualExploitation" in v for v in exploitation.tolist()], dtype=bool)
    duration_kept = rng.random(n) < t.number("duration", "present")
    year = opened.astype("datetime64[Y]").astype(np.int64) + 1970
    case_status = np.full(n, None, dtype=object)
    for since, categorical in t.case_status:
        mask = (case_status == None) & (year >= since)  # noqa: E711 (element-wise comparison)
        case_status[mask] = np.array(categorical.values, dtype=object)[categorical.draw(rng, int(mask.sum()))]
    consent = rng.random(n) < t.number("consent", "true")
    return {
        "prs_FirstName": _objects(people.given[person], _kept(rng, n, ident["first_name_missing"])),
        "prs_MiddleName": people.middle[person].tolist(),
        "prs_SecondName": _objects(people.family[person], _kept(rng, n, ident["family_name_missing"])),
        "prs_Birthdate": _dates(people.born[person], _kept(rng, n, t.missing("age_bands"))),
        "prs_Gender": _objects(people.sex[person], _kept(rng, n, t.missing("sex"))),
        "prs_Citizenship": _objects(
            citizenship[people.citizenship[person]],
            _kept(rng, n, t.missing("flows", "citizenship_missing")),
        ),
        "prs_IdentityNumber": _objects(
            people.identity_number[person], rng.random(n) < ident["identity_number_present"]
        ),
        "prs_MobilePhone": _objects(people.phone[person], rng.random(n) < ident["mobile_phone_present"]),
        "vic_TraffickingStatus": _objects(people.trafficking_status[person], status_kept),
        "vic_TraffickingStatusDecisionMakingOrg": _objects(
            people.decision_org[person],
            status_kept & _kept(rng, n, t.missing("trafficking_status", "decision_org_missing")),
        ),
        "vic_RelationshipToTrafficker": _objects(people.relation[person], _kept(rng, n, t.missing("relation"))),
        "vic_AgeWhenTrafficked": _objects(
            people.age_when_trafficked[person].astype(object),
            rng.random(n) < t.number("duration", "age_when_trafficked_present"),
        ),
        "vic_MethodOfRecruitment": _objects(people.recruitment[person], _kept(rng, n, t.missing("recruitment"))),
        "vic_MethodsOfControl": _objects(
            people.methods_of_control[person], rng.random(n) < t.number("methods_of_control", "present")
        ),
        "vic_TypeOfExploitation": _objects(exploitation, types_kept),
        "vic_ForcedLabourIndustry": _objects(
            people.labour_industry[person], types_kept & labour & _kept(rng, n, t.missing("labour_industry"))
        ),
        "vic_TypeOfSexExploitation": _objects(
            people.sex_exploitation[person], types_kept & sexual & _kept(rng, n, t.missing("sex_exploitation"))
        ),
        "cas_Status": _objects(case_status, _kept(rng, n, t.missing("case_status"))),
        "con_Consent": _objects(consent.astype(object), _kept(rng, n, t.missing("consent"))),
        "ext_CaseOpenedDate": _dates(opened, _kept(rng, n, ident["case_opened_missing"])),
        "ext_IdentificationDate": _dates(identified, np.ones(n, dtype=bool)),
        "ext_CountryOfIdentification": _objects(
            countries[identified_in],
            _kept(rng, n, t.missing("flows", "identification_missing")),
        ),
        "ext_CountryOfExploitation": _objects(
            countries[people.exploitation_country[person]], _kept(rng, n, t.missing("flows", "exploitation_missing"))
        ),
        "ext_ExploitationStart": _dates(people.exploitation_start[person], duration_kept),
        "ext_ExploitationEnd": _dates(people.exploitation_end[person], duration_kept),
    }


_IDENTITY_FIELDS = {
    "given": "prs_FirstName",
    "middle": "prs_MiddleName",
    "family": "prs_SecondName",
    "birthdate": "prs_Birthdate",
    "citizenship": "prs_Citizenship",
    "phone": "prs_MobilePhone",
    "identity_number": "prs_IdentityNumber",
    "gender": "prs_Gender",
}


def _corrupt_repeats(
    rng: np.random.Generator,
    t: Targets,
    names: NameBank,
    people: People,
    person: IntArray,
    repeat: npt.NDArray[np.bool_],
    columns: dict[str, list[FieldValue | None]],
) -> list[tuple[str, ...]]:
    """Corrupt the identity on every repeat record, in place in ``columns``; the kinds applied per record."""
    out: list[tuple[str, ...]] = [()] * len(person)
    rows = np.flatnonzero(repeat)
    how_many = np.array([int(v) for v in t.corruptions_per_duplicate.values])[
        t.corruptions_per_duplicate.draw(rng, len(rows))
    ]
    kinds = np.array(t.corruption_kinds.values, dtype=object)[
        t.corruption_kinds.draw(rng, len(rows) * 4).reshape(len(rows), 4)
    ]
    uniforms = rng.random((len(rows), 24))
    for j, row in enumerate(rows.tolist()):
        values = {key: columns[name][row] for key, name in _IDENTITY_FIELDS.items()}
        citizenship = values["citizenship"]
        birthdate = values["birthdate"]
        identity = Identity(
            given=_text(values["given"]),
            middle=_text(values["middle"]),
            family=_text(values["family"]),
            birthdate=birthdate if isinstance(birthdate, dt.date) else None,
            citizenship=citizenship[0] if isinstance(citizenship, tuple) else None,
            phone=_text(values["phone"]),
            identity_number=_text(values["identity_number"]),
            gender=_text(values["gender"]),
        )
        group = names.groups[int(people.name_group[person[row]])]
        applied = corrupt(identity, group, kinds[j, : how_many[j]].tolist(), Dice(uniforms[j].tolist()))
        out[row] = tuple(applied)
        for key, name in _IDENTITY_FIELDS.items():
            value = getattr(identity, key)
            columns[name][row] = (value,) if key == "citizenship" and value is not None else value
    return out


def _text(value: FieldValue | None) -> str | None:
    return value if isinstance(value, str) else None
