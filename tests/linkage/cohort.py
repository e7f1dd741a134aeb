"""A small hand-made cohort for the linkage tests: three organisations, duplicates that must link and
near-duplicates that must not, with the truth kept beside each record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ctdx.model.records import CaseRecord, FieldValue, SourceRef

if TYPE_CHECKING:
    from ctdx.linkage.batch import EncodedRecords

IDENTIFIED = dt.date(2024, 6, 1)


@dataclass(frozen=True)
class Entry:
    organisation: str
    record_id: str
    person: str  # the truth: who this really is
    first: str
    second: str
    birth: dt.date | str | None
    gender: str
    citizenship: tuple[str, ...]
    consent: bool = True

    def case(self, **changes: FieldValue) -> CaseRecord:
        values: dict[str, FieldValue] = {
            "prs_FirstName": self.first,
            "prs_SecondName": self.second,
            "prs_Gender": self.gender,
            "prs_Citizenship": self.citizenship,
            "ext_IdentificationDate": IDENTIFIED,
            "vic_AgeWhenTrafficked": 19,
            "prs_PrimaryLanguage": "ukr",
        }
        if self.birth is not None:
            values["prs_Birthdate"] = self.birth
        values.update(changes)
        return CaseRecord(source=SourceRef(system=self.organisation, record_id=self.record_id), values=values)


COHORT = (
    # Olena: Latin, Cyrillic, and names swapped with the day and month of birth swapped.
    Entry("ngo", "n1", "olena", "Olena", "Kovalenko", dt.date(1990, 5, 12), "Feminine", ("UA",)),
    Entry("police", "p1", "olena", "Олена", "Коваленко", dt.date(1990, 5, 12), "Feminine", ("UA",)),
    Entry("hotline", "h1", "olena", "Kovalenko", "Olena", dt.date(1990, 12, 5), "Feminine", ("UA",)),
    # Her twin sister: same family name, same birth date, another given name.
    Entry("ngo", "n2", "oksana", "Oksana", "Kovalenko", dt.date(1990, 5, 12), "Feminine", ("UA",)),
    # A common name, two different women.
    Entry("ngo", "n3", "maria-85", "Maria", "Popescu", dt.date(1985, 3, 2), "Feminine", ("MD",)),
    Entry("police", "p2", "maria-79", "Maria", "Popescu", dt.date(1979, 8, 21), "Feminine", ("MD",)),
    # Arabic script and a Latin spelling.
    Entry("ngo", "n4", "mohammed", "Mohammed", "Ali", dt.date(1995, 1, 20), "Masculine", ("SY",)),
    Entry("police", "p3", "mohammed", "محمد", "علي", dt.date(1995, 1, 20), "Masculine", ("SY",)),
    # A nickname in one file, Cyrillic in the other.
    Entry("hotline", "h2", "aleksandr", "Sasha", "Petrov", dt.date(1988, 7, 7), "Masculine", ("RU",)),
    Entry("ngo", "n5", "aleksandr", "Александр", "Петров", dt.date(1988, 7, 7), "Masculine", ("RU",)),
    # Diacritics, and an age instead of a birth date.
    Entry("police", "p4", "lan", "Lan", "Nguyễn Thị", dt.date(2001, 11, 30), "Feminine", ("VN",)),
    Entry("hotline", "h3", "lan", "Lan", "Nguyen Thi", "about 23 years old", "Feminine", ("VN",)),
    # People known to one organisation only.
    Entry("ngo", "n6", "amina", "Amina", "Diallo", dt.date(1999, 2, 14), "Feminine", ("SN",)),
    Entry("police", "p5", "ivan", "Ivan", "Ivanov", dt.date(1970, 1, 1), "Masculine", ("UA",)),
    Entry("hotline", "h4", "grace", "Grace", "Okafor", dt.date(2003, 9, 9), "Feminine", ("NG",)),
    # No consent to share: never leaves the NGO.
    Entry("ngo", "n7", "withheld", "Fatima", "Haidari", dt.date(1997, 4, 4), "Feminine", ("AF",), consent=False),
)

ORGANISATIONS = ("ngo", "police", "hotline")


def truth_pairs(entries: tuple[Entry, ...]) -> set[frozenset[str]]:
    """Every pair of record ids that are the same person."""
    ids = [(f"{e.organisation}:{e.record_id}", e.person) for e in entries]
    return {frozenset((a, b)) for i, (a, pa) in enumerate(ids) for b, pb in ids[i + 1 :] if pa == pb}


def predicted_pairs(persons: dict[str, str]) -> set[frozenset[str]]:
    """Every pair of record ids that a linkage put in the same person."""
    items = sorted(persons.items())
    return {frozenset((a, b)) for i, (a, pa) in enumerate(items) for b, pb in items[i + 1 :] if pa == pb}


def encoded_cohort(cases: int, organisations: int, seed: int, secret: bytes) -> tuple[EncodedRecords, list[str]]:
    """A ``ctdx sample`` cohort encoded in one batch for the array pipeline, with each record's true person."""
    from ctdx.linkage.batch import EncodedRecords
    from ctdx.linkage.encoding import Encoder, LinkageSecret
    from ctdx.linkage.normalise import identity_of
    from ctdx.sample.cohort import generate_cohort

    ids, orgs, identities, persons = [], [], [], []
    for chunk in generate_cohort(cases, organisations, seed).chunks():
        for case, person in zip(chunk.records(), chunk.person_ids, strict=True):
            ids.append(f"{case.source.system}:{case.source.record_id}")
            orgs.append(case.source.system)
            identities.append(identity_of(case.values))
            persons.append(str(person))
    batch = Encoder(LinkageSecret(secret)).encode_many(identities)
    packed = {k: f.packed for k, f in batch.fields.items()}
    present = {k: f.present for k, f in batch.fields.items()}
    return EncodedRecords(ids, orgs, packed, present), persons
