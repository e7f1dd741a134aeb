"""The twin policy (``ScoringConfig.twins``) in a hub large enough to train its model.

A ``ctdx sample`` cohort of 2,000 cases over three organisations, with planted twins: for 40 people a
second person with the same family name, birth date, sex and citizenship and another given name of their
sex, in another organisation. Under the default policy ("apart") the twins stay apart in the trained hub
while the cohort's own duplicates still link. Under "learned" the same pairs are merged: they agree on
everything but the given name, as a duplicate under a replaced given name (an alias) does, and EM cannot
tell the two apart. That is why "apart" is the default and "learned" a hub's explicit choice.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

import pytest

from ctdx.errors import ValidationError
from ctdx.linkage.blocking import encoding_blocking_keys
from ctdx.linkage.encoding import Encoder, LinkageSecret
from ctdx.linkage.linking import LinkageInput, LinkageResult, link
from ctdx.linkage.normalise import identity_of
from ctdx.linkage.scoring import ScoringConfig, twin_policy
from ctdx.sample.cohort import generate_cohort

SECRET = LinkageSecret(bytes(range(7, 39)))
TWINS = 40
MIDDLE_NAME_TWINS = 15


Records = list[tuple[str, str, Mapping[str, object]]]
Pairs = list[tuple[str, str]]


def cohort_with_twins() -> tuple[Records, dict[str, str], Pairs, Pairs]:
    """(uid, organisation, values) per record, the true person of each, and the planted twin pairs: of
    people recorded without a middle name, and of people with one (which the twins share)."""
    records: Records = []
    truth: dict[str, str] = {}
    for chunk in generate_cohort(2000, 3, 11).chunks():
        for case, person in zip(chunk.records(), chunk.person_ids, strict=True):
            uid = f"{case.source.system}:{case.source.record_id}"
            records.append((uid, case.source.system, dict(case.values)))
            truth[uid] = person
    given_of_sex: dict[object, set[str]] = {}
    for _, _, values in records:
        if isinstance(values.get("prs_FirstName"), str):
            given_of_sex.setdefault(values.get("prs_Gender"), set()).add(str(values["prs_FirstName"]))
    rng = random.Random(5)
    known = ("prs_FirstName", "prs_SecondName", "prs_Birthdate", "prs_Gender")
    complete = [r for r in records if all(r[2].get(f) for f in known)]
    organisations = sorted({org for _, org, _ in records})
    planted: dict[bool, Pairs] = {False: [], True: []}
    for middle, count in ((False, TWINS), (True, MIDDLE_NAME_TWINS)):
        for uid, org, values in rng.sample([r for r in complete if bool(r[2].get("prs_MiddleName")) == middle], count):
            names = sorted(given_of_sex[values["prs_Gender"]] - {values["prs_FirstName"]})
            twin_org = next(o for o in organisations if o != org)
            twin_uid = f"{twin_org}:twin-{len(records)}"
            records.append((twin_uid, twin_org, {**values, "prs_FirstName": rng.choice(names)}))
            truth[twin_uid] = f"twin-of-{truth[uid]}"
            planted[middle].append((uid, twin_uid))
    return records, truth, planted[False], planted[True]


Hub = tuple[LinkageResult, dict[str, str], Pairs, Pairs]
Inputs = tuple[list[LinkageInput], dict[str, str], Pairs, Pairs]


@pytest.fixture(scope="module")
def inputs() -> Inputs:
    records, truth, twins, middle_name_twins = cohort_with_twins()
    identities = [identity_of(values) for _, _, values in records]
    encodings = Encoder(SECRET).encode_many(identities).records()
    keys = encoding_blocking_keys(encodings)
    rows = [LinkageInput(uid, org, enc, key) for (uid, org, _), enc, key in zip(records, encodings, keys, strict=True)]
    return rows, truth, twins, middle_name_twins


@pytest.fixture(scope="module")
def hub(inputs: Inputs) -> Hub:
    rows, truth, twins, middle_name_twins = inputs
    return link(rows, ScoringConfig(mode="privacy")), truth, twins, middle_name_twins


def merged(result: LinkageResult, twins: Pairs) -> Pairs:
    return [pair for pair in twins if result.persons[pair[0]] == result.persons[pair[1]]]


def test_a_trained_hub_keeps_planted_twins_apart_by_default(hub: Hub) -> None:
    result, _, twins, _ = hub
    assert result.trained and result.twins == "apart" and result.twins_cannot_link is True
    assert result.summary()["twins"] == {"policy": "apart", "cannot_link": True}
    assert merged(result, twins) == []


# Twins whose given field holds a shared middle name ("Lorna Reyes" / "Andrea Reyes") have whole given
# names more alike than the rule's threshold: the first given name (its own filter) tells them apart.
def test_twins_sharing_a_middle_name_stay_apart(hub: Hub) -> None:
    result, _, _, middle_name_twins = hub
    assert merged(result, middle_name_twins) == []


def test_the_learned_policy_merges_what_looks_like_an_alias(inputs: Inputs) -> None:
    rows, _, twins, _ = inputs
    result = link(rows, ScoringConfig(mode="privacy", twins="learned"))
    assert result.trained and result.twins_cannot_link is False
    assert result.summary()["twins"] == {"policy": "learned", "cannot_link": False}
    # Same family name, birth date, sex and citizenship: the model cannot tell these twins from one person
    # recorded under another given name, so most are merged. The policy, not the data, keeps twins apart.
    assert len(merged(result, twins)) > len(twins) // 2


def test_the_same_hub_still_links_its_duplicates(hub: Hub) -> None:
    result, truth, _, _ = hub
    by_person: dict[str, list[str]] = {}
    for uid, person in truth.items():
        by_person.setdefault(person, []).append(uid)
    duplicated = [uids for uids in by_person.values() if len(uids) > 1]
    linked = sum(len({result.persons[u] for u in uids}) < len(uids) for uids in duplicated)
    # Not every corrupted duplicate is found (ctdx sample leaves 47 % of birth dates out, and the hub's recall
    # on it is the open loss of bench/linkage/README.md: 28 % of these people here), but the twins are not
    # kept apart by linking nothing.
    assert linked >= len(duplicated) // 5


def test_an_unknown_twin_policy_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        ScoringConfig(twins="sometimes")  # type: ignore[arg-type]
    assert caught.value.context["field"] == "twins"
    with pytest.raises(ValidationError):
        twin_policy("never")
    assert twin_policy("apart") == "apart"


def test_the_trained_hub_counts_persons_by_expectation_closer_to_the_truth_than_its_person_ids(hub: Hub) -> None:
    result, truth, _, _ = hub
    people = len(set(truth.values()))
    summary = result.summary()
    assert summary["person_ids"] == result.count.estimate == len(set(result.persons.values()))
    # Half the cohort's duplicates lack a birth date on one side and score between the thresholds: the
    # person ids keep each such pair as two people, the expectation weighs it by its probability.
    assert abs(result.count.persons - people) < abs(result.count.estimate - people) / 2
    assert abs(result.count.persons - people) / people < 0.1
    low, high = summary["distinct_persons_range"]
    assert summary["distinct_persons"] == result.count.persons and low <= people <= high
