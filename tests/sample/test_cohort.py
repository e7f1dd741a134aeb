"""The generated cohort: marginals against the shipped targets, vocabularies, names, duplicates, truth."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import numpy as np
import pytest

from ctdx.errors import ValidationError
from ctdx.sample import CORRUPTION_KINDS, FIELDS, generate_cohort, load_names, load_targets
from ctdx.sample.identities import completed_years
from ctdx.standard import is_country_code, load_standard

from .conftest import Generated

TOLERANCE = 0.02  # absolute, on shares; a 20k cohort has a standard error below 0.004 on any share


def _shares(values: list[str]) -> dict[str, float]:
    counts = Counter(values)
    return {k: v / len(values) for k, v in counts.items()}


def _assert_close(observed: dict[str, float], expected: dict[str, float], tolerance: float = TOLERANCE) -> None:
    for key in set(observed) | set(expected):
        assert abs(observed.get(key, 0.0) - expected.get(key, 0.0)) <= tolerance, (
            key,
            observed.get(key),
            expected.get(key),
        )


def _present(generated: Generated, field: str) -> list[object]:
    return [r.values[field] for r in generated.records if field in r.values]


def test_sex_follows_the_targets_with_ctdc_missingness(cohort_20k: Generated) -> None:
    targets = load_targets()
    genders = _present(cohort_20k, "prs_Gender")
    _assert_close(
        _shares([str(g) for g in genders]), dict(zip(targets.sex.values, targets.sex.probs.tolist(), strict=True))
    )
    missing = 1 - len(genders) / len(cohort_20k.records)
    assert abs(missing - targets.missing("sex")) <= TOLERANCE


def test_age_bands_at_identification_follow_the_targets(cohort_20k: Generated) -> None:
    targets = load_targets()
    clean = {t.source_record_id for t in cohort_20k.truth if not t.corruptions}
    born, at = [], []
    for r in cohort_20k.records:
        if r.source.record_id in clean and "prs_Birthdate" in r.values:
            born.append(r.values["prs_Birthdate"])
            at.append(r.values["ext_IdentificationDate"])
    ages = completed_years(np.array(born, dtype="datetime64[D]"), np.array(at, dtype="datetime64[D]"))
    bands = [next(b.label for b in targets.age_bands if b.low <= a <= b.high) for a in ages.tolist()]
    expected = dict(zip(targets.age_band_probs.values, targets.age_band_probs.probs.tolist(), strict=True))
    _assert_close(_shares(bands), expected)
    with_birthdate = len(_present(cohort_20k, "prs_Birthdate")) / len(cohort_20k.records)
    assert abs((1 - with_birthdate) - targets.missing("age_bands")) <= TOLERANCE


def test_citizenship_and_exploitation_countries_follow_the_flows(cohort_20k: Generated) -> None:
    flows = load_targets().flows
    citizenship = [str(c[0]) for c in _present(cohort_20k, "prs_Citizenship")]  # type: ignore[index]
    _assert_close(_shares(citizenship), flows.citizenship_shares())
    exploitation = [str(c) for c in _present(cohort_20k, "ext_CountryOfExploitation")]
    _assert_close(_shares(exploitation), flows.exploitation_shares())
    pairs = Counter(
        (r.values["prs_Citizenship"][0], r.values["ext_CountryOfExploitation"])  # type: ignore[index]
        for r in cohort_20k.records
        if "prs_Citizenship" in r.values and "ext_CountryOfExploitation" in r.values
    )
    allowed = set(zip(flows.citizenship, flows.exploitation, strict=True))
    assert set(pairs) <= allowed
    assert pairs.most_common(1)[0][0] == ("US", "US")


def test_year_of_first_registration_follows_the_targets(cohort_20k: Generated) -> None:
    targets = load_targets()
    person_of = {t.source_record_id: t.person_id for t in cohort_20k.truth}
    first: dict[str, dt.date] = {}
    for r in cohort_20k.records:
        opened = r.values.get("ext_CaseOpenedDate")
        if isinstance(opened, dt.date):
            person = person_of[r.source.record_id]
            first[person] = min(first.get(person, opened), opened)
    years = [str(d.year) for d in first.values()]
    _assert_close(_shares(years), dict(zip(targets.years.values, targets.years.probs.tolist(), strict=True)))


def test_exploitation_types_by_sex_follow_the_profiles(cohort_20k: Generated) -> None:
    targets = load_targets()
    for sex in ("Feminine", "Masculine"):
        types = [
            ";".join(r.values["vic_TypeOfExploitation"])  # type: ignore[arg-type]
            for r in cohort_20k.records
            if r.values.get("prs_Gender") == sex and "vic_TypeOfExploitation" in r.values
        ]
        profiles = targets.exploitation[sex]
        expected = {
            ";".join(sorted(v, key=load_standard().field("vic_TypeOfExploitation").value_names.index)): float(p)
            for v, p in zip(profiles.values, profiles.probs, strict=True)
        }
        _assert_close(_shares(types), expected, tolerance=0.03)


def test_means_of_control_are_several_and_mostly_absent(cohort_20k: Generated) -> None:
    targets = load_targets()
    means = _present(cohort_20k, "vic_MethodsOfControl")
    assert abs(len(means) / len(cohort_20k.records) - targets.number("methods_of_control", "present")) <= TOLERANCE
    assert any(len(m) > 1 for m in means)  # type: ignore[arg-type]
    share = sum("PsychologicalAbuse" in m for m in means) / len(means)  # type: ignore[operator]
    assert abs(share - targets.methods_of_control["PsychologicalAbuse"]) <= 0.06


def test_recruiter_relation_follows_the_targets(cohort_20k: Generated) -> None:
    targets = load_targets()
    relation = [str(v) for v in _present(cohort_20k, "vic_RelationshipToTrafficker")]
    expected = dict(zip(targets.relation.values, targets.relation.probs.tolist(), strict=True))
    _assert_close(_shares(relation), expected)
    assert abs(1 - len(relation) / len(cohort_20k.records) - targets.missing("relation")) <= TOLERANCE


def test_every_value_is_in_the_standard(cohort_20k: Generated) -> None:
    standard = load_standard()
    for record in cohort_20k.records:
        assert set(record.values) <= set(FIELDS)
        for name, value in record.values.items():
            field = standard.field(name)
            if field.vocabulary == "iso3166_alpha2":
                codes = value if isinstance(value, tuple) else (value,)
                assert all(is_country_code(str(c)) for c in codes), (name, value)
            elif field.type == "multi_picklist":
                assert isinstance(value, tuple) and value
                assert set(value) <= set(field.value_names), (name, value)
                assert list(value) == sorted(value, key=field.value_names.index)
            elif field.type in ("picklist", "picklist_or_text"):
                assert value in field.value_names, (name, value)
            elif field.type == "date":
                assert isinstance(value, dt.date) and dt.date(1930, 1, 1) <= value <= dt.date(2023, 12, 31)
            elif field.type == "checkbox":
                assert isinstance(value, bool)
            elif field.type == "number":
                assert isinstance(value, int) and 0 <= value <= 120
            else:
                assert isinstance(value, str) and value.strip(), (name, value)
        born = record.values.get("prs_Birthdate")
        if isinstance(born, dt.date):
            assert born <= record.values["ext_IdentificationDate"]  # type: ignore[operator]


def test_phone_numbers_are_e164_of_the_citizenship() -> None:
    from ctdx.sample.identities import numbering_plans

    cohort = generate_cohort(3_000, 2, seed=5)
    seen = 0
    for chunk in cohort.chunks():
        for t, record in zip(chunk.truth(), chunk.records(), strict=True):
            phone, citizenship = record.values.get("prs_MobilePhone"), record.values.get("prs_Citizenship")
            if t.corruptions or not isinstance(phone, str) or not isinstance(citizenship, tuple):
                continue
            plan = numbering_plans()[citizenship[0]]
            assert phone.startswith("+" + plan.country_code)
            assert phone[1:].isdigit() and len(phone) - 1 == len(plan.country_code) + plan.national_length <= 15
            seen += 1
    assert seen > 100


def test_names_fit_the_citizenship(cohort_20k: Generated) -> None:
    bank = load_names()
    clean = {t.source_record_id for t in cohort_20k.truth if not t.corruptions}
    checked = 0
    for record in cohort_20k.records:
        citizenship = record.values.get("prs_Citizenship")
        if record.source.record_id not in clean or not isinstance(citizenship, tuple):
            continue
        groups, _ = bank.by_country[citizenship[0]]
        names = frozenset().union(*(bank.groups[int(g)].all_names() for g in groups))
        given, family = record.values.get("prs_FirstName"), record.values.get("prs_SecondName")
        if isinstance(given, str):
            assert given in names, (citizenship, given)
        if isinstance(family, str):
            assert family in names or all(p in names for p in family.split(" ")), (citizenship, family)
        checked += 1
    assert checked > 5_000


def test_cyrillic_names_are_romanised_with_variants() -> None:
    ukrainian = load_names().groups[load_names().group_index("ukrainian")]
    assert "Oleksandr" in ukrainian.male
    assert {"Alexander", "Aleksandr"} <= set(ukrainian.spellings("Oleksandr"))
    assert "Shevchenko" in ukrainian.family_masculine
    russian = load_names().groups[load_names().group_index("russian")]
    assert "Ivanova" in russian.family_feminine and "Ivanov" in russian.family_masculine


def test_duplicates_within_and_across_organisations(cohort_20k: Generated) -> None:
    by_person: dict[str, list[str]] = defaultdict(list)
    for t in cohort_20k.truth:
        by_person[t.person_id].append(t.org)
    repeated = [orgs for orgs in by_person.values() if len(orgs) > 1]
    assert 0.1 < len(repeated) / len(by_person) < 0.3
    assert any(len(set(orgs)) < len(orgs) for orgs in repeated)  # same organisation twice
    assert any(len(set(orgs)) > 1 for orgs in repeated)  # several organisations
    assert len({t.source_record_id for t in cohort_20k.truth}) == len(cohort_20k.truth) == 20_000
    assert [t.source_record_id for t in cohort_20k.truth] == [r.source.record_id for r in cohort_20k.records]
    assert all(t.org == r.source.system for t, r in zip(cohort_20k.truth, cohort_20k.records, strict=True))


def test_every_corruption_kind_occurs_on_repeat_records_only(cohort_20k: Generated) -> None:
    kinds = Counter(k for t in cohort_20k.truth for k in t.corruptions)
    assert set(kinds) == set(CORRUPTION_KINDS)
    counts = Counter(t.person_id for t in cohort_20k.truth)
    corrupted_people = {t.person_id for t in cohort_20k.truth if t.corruptions}
    assert all(counts[p] > 1 for p in corrupted_people)


def test_the_same_seed_gives_the_same_records_and_another_seed_others() -> None:
    first = [r.model_dump() for r in generate_cohort(500, 2, seed=11).records()]
    again = [r.model_dump() for r in generate_cohort(500, 2, seed=11).records()]
    other = [r.model_dump() for r in generate_cohort(500, 2, seed=12).records()]
    assert first == again
    assert first != other


@pytest.mark.parametrize(("cases", "orgs", "seed"), [(0, 1, 1), (10, 0, 1), (10, 11, 1), (10, 2, -1), (10, 501, 1)])
def test_bad_arguments_are_refused(cases: int, orgs: int, seed: int) -> None:
    with pytest.raises(ValidationError):
        generate_cohort(cases, orgs, seed)
