"""The attack check: the published attacks run against simulated encodings, and the hub's exposure."""

from __future__ import annotations

import json
from itertools import permutations
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ctdx.cli.main import app
from ctdx.errors import ValidationError
from ctdx.linkage.attacks import (
    SIMULATED_MAX,
    SIMULATED_MIN,
    attack_check,
    frequency_attack,
    read_name_list,
    simulate,
    simulated_people,
)
from ctdx.linkage.encoding import (
    DEFAULT_ENCODING_CONFIG,
    PLAINTEXT_ENCODING_CONFIG,
    Encoder,
    EncodingConfig,
    LinkageSecret,
    bigrams,
)

# A steep public surname list with Zipf-like counts (count ~ 1/rank), as name frequency tables look.
SURNAMES = [
    "kovalenko", "popescu", "nguyen", "diallo", "hernandez", "petrov", "ivanova", "okafor", "haidari", "garcia",
    "rossi", "silva", "kowalski", "horvath", "novak", "santos", "traore", "mensah", "rahman", "hussain",
]  # fmt: skip
NAMES = {name: 600 // (rank + 1) for rank, name in enumerate(SURNAMES)}


# A realistic public list: 400 surnames, count ~ 1/rank (the commonest holds 15 %).
SYLLABLES = ["ka", "lo", "mi", "ren", "tas", "vo", "dra", "sel", "nu", "bek", "ho", "zin", "pa", "gor", "li"]
ZIPF = {"".join(p): 10000 // (rank + 1) for rank, p in enumerate(list(permutations(SYLLABLES, 3))[:400])}


def test_balancing_weakens_pattern_mining_but_not_frequency_alignment() -> None:
    report = attack_check(NAMES, {}, records=300, seed=1, config=EncodingConfig(salt="none"))
    plain, hardened = report.unhardened_fields["family"], report.fields["family"]
    assert plain.pattern_mining > 0.2
    assert hardened.pattern_mining < plain.pattern_mining
    # Field-level filters of one name stay near-identical, so rank alignment works whatever the balancing
    # and bit flips: the check must show that, not hide it.
    assert hardened.excess > 0.1
    assert abs(hardened.frequency - plain.frequency) < 0.15
    # Every name field the hub stores is attacked, and the worst one is reported.
    assert set(report.fields) == {"given", "first", "family", "names", "skeleton", "first_skeleton"}
    assert report.hardened.excess == max(rates.excess for rates in report.fields.values())


def test_the_birth_year_salt_leaks_to_an_attacker_who_splits_people_by_birth_year() -> None:
    # The hub's birth-date filters group people by year, so the attacker aligns ranks within each year:
    # salting with the year alone leaves the commonest names of each year exposed.
    salted = attack_check(ZIPF, {}, records=600, seed=3, config=EncodingConfig(salt="birth-year"))
    assert salted.fields["family"].excess > 0.02


@pytest.mark.parametrize("missing_birth", [0.0, 0.5])
def test_the_birth_date_salt_leaves_attacks_on_name_parts_no_better_than_a_guess(missing_birth: float) -> None:
    report = attack_check(
        ZIPF, {}, records=600, seed=3, config=EncodingConfig(salt="birth-date"), missing_birth=missing_birth
    )
    assert report.unhardened_fields["family"].excess > 0.1  # the same people, unsalted, are exposed
    for name in ("given", "first", "family", "first_skeleton"):
        assert report.fields[name].excess < 0.01
        assert report.fields[name].pattern_mining < 0.01
    # The order-free composites (all name parts, skeletons) stay unsalted so that a pair with another or no
    # birth date can be scored: they are attacked too, and their exposure is the full name's frequency
    # (measured in bench/linkage/attack_hardening.py), not a single name part's.
    assert {"names", "skeleton"} <= set(report.fields)
    # People without a birth date have no name-part filters: only those with one can be attacked there.
    assert report.fields["family"].guess < (1 - missing_birth) * 0.2


def test_frequency_attack_recovers_nothing_when_frequencies_are_flat() -> None:
    flat = dict.fromkeys(SURNAMES, 10)
    simulation = simulate(flat, 200, PLAINTEXT_ENCODING_CONFIG, seed=2)
    public = {(name,): count for name, count in flat.items()}
    # With equal counts the ranks carry no information: only chance alignments remain.
    rate = frequency_attack(simulation.bits["family"], simulation.truth["family"], public, PLAINTEXT_ENCODING_CONFIG)
    assert rate < 0.3


def test_hub_exposure_is_measured_on_its_own_encodings() -> None:
    encoder = Encoder(LinkageSecret.generate(), DEFAULT_ENCODING_CONFIG)
    stored = [encoder.encode_field("family", bigrams("kovalenko")) for _ in range(6)]
    stored += [encoder.encode_field("family", bigrams(name)) for name in SURNAMES[1:7]]
    report = attack_check(dict(list(NAMES.items())[:5]), {"family": [s for s in stored if s]}, records=50)
    assert report.hub_records == report.hub_grouped == 12
    assert report.hub_largest_group_share == pytest.approx(0.5)


def test_a_large_hub_is_grouped_on_a_random_sample_of_its_encodings() -> None:
    # Grouping is quadratic, so a hub with more encodings than ``hub_sample`` is grouped on a random sample:
    # the share of its largest group is a proportion, which the sample estimates.
    encoder = Encoder(LinkageSecret.generate(), DEFAULT_ENCODING_CONFIG)
    common = [encoder.encode_field("family", bigrams("kovalenko")) for _ in range(300)]
    rare = [encoder.encode_field("family", bigrams(f"{name}{i}")) for i in range(50) for name in SURNAMES[1:7]]
    stored = [s for s in common + rare if s]
    report = attack_check(dict(list(NAMES.items())[:5]), {"family": stored}, records=50, hub_sample=200)
    assert report.hub_records == 600 and report.hub_grouped == 200
    assert report.hub_largest_group_share == pytest.approx(0.5, abs=0.15)
    assert report.summary()["hub_grouped_records"] == 200


def test_the_share_without_a_birth_date_is_checked() -> None:
    with pytest.raises(ValidationError):
        attack_check(NAMES, {}, records=50, missing_birth=1.5)


def test_name_lists_are_checked() -> None:
    assert read_name_list("name,count\nKovalenko,3\nPopescu,2\n") == {"kovalenko": 3, "popescu": 2}
    with pytest.raises(ValidationError):
        read_name_list("Kovalenko\nPopescu,2\n")


def test_attack_check_command(tmp_path: Path) -> None:
    names = tmp_path / "names.csv"
    names.write_text("name,count\n" + "\n".join(f"{n},{c}" for n, c in NAMES.items()))
    database = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    assert CliRunner().invoke(app, ["hub", "upgrade", "--database", database]).exit_code == 0
    result = CliRunner().invoke(
        app, ["hub", "attack-check", "--names", str(names), "--database", database, "--records", "200", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["hub_records"] == 0 and report["simulated_records"] == 200
    assert 0 <= report["reidentified_hardened"]["pattern_mining"] <= 1


def test_the_check_simulates_as_many_people_as_the_hub_holds_within_bounds() -> None:
    # The frequency attack grows stronger with the population, so by default the check attacks as many
    # people as the hub holds: at least SIMULATED_MIN (a small hub's rates would be noise), at most
    # SIMULATED_MAX (the clustering's time); a number asked for is taken as it is, if it is a number of people.
    assert simulated_people(0) == simulated_people(SIMULATED_MIN - 1) == SIMULATED_MIN
    assert simulated_people(SIMULATED_MIN + 1) == SIMULATED_MIN + 1
    assert simulated_people(10 * SIMULATED_MAX) == SIMULATED_MAX
    assert simulated_people(10 * SIMULATED_MAX, 300) == 300
    with pytest.raises(ValidationError):
        simulated_people(100, 0)
    with pytest.raises(ValidationError):
        attack_check(NAMES, {}, records=0)
