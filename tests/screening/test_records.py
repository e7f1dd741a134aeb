"""Screening a case record: documentary "yes" answers from HTCDS values, on hand-made and sample records."""

from __future__ import annotations

import copy
from collections import Counter
from importlib import resources
from typing import Any

import pytest
import yaml

from ctdx.errors import ConfigError
from ctdx.model import CaseRecord, SourceRef
from ctdx.sample import generate_cohort
from ctdx.screening import AgeGroup, ContinuumClass, ExploitationKind, answers_from_record, load_bank, screen_record
from ctdx.screening.records import build_evidence

SOURCE = SourceRef(system="test", record_id="1")


def test_a_record_documents_acts_means_and_purpose() -> None:
    record = CaseRecord(
        source=SOURCE,
        values={
            "vic_AgeWhenTrafficked": 16,
            "vic_TypeOfExploitation": ("SexualExploitation",),
            "vic_MethodsOfControl": ("WithholdsDocuments", "RestrictsMovement"),
        },
        perpetrators=({"per_RoleInProcess": ("RecruiterOrIntermediary", "Smuggler")},),
        events=({"hte_Type": "Transit"},),
    )
    answers, profile = answers_from_record(record)
    assert sorted(answers) == ["ACT01", "ACT02", "CD01", "CD03", "SM01", "SX01"]
    assert {a.source.value for a in answers.values()} == {"document"}
    assert (profile.age_group, profile.exploitation) == (AgeGroup.CHILD, ExploitationKind.SEXUAL)
    result = screen_record(record, language="fr")
    assert result.trafficking_indicated
    assert "palermo.exploitation_purpose" in result.rule_ids()
    assert result.smuggling_facts == ("SM01",)
    assert result.context.setting == "case record" and result.context.language == "fr"


def test_an_empty_record_is_no_indication_with_everything_left_to_ask() -> None:
    result = screen_record(CaseRecord(source=SOURCE))
    assert result.answers == {}
    assert result.profile.age_group == AgeGroup.UNKNOWN
    assert result.continuum_class == ContinuumClass.NO_INDICATION
    assert all(e.status == "unknown" for e in result.legal_elements), "absent values are unknown, never no"
    assert result.would_change


def test_the_mapping_must_list_every_htcds_value() -> None:
    raw: Any = yaml.safe_load(
        resources.files("ctdx.screening").joinpath("data", "htcds_evidence.yaml").read_text(encoding="utf-8")
    )
    broken = copy.deepcopy(raw)
    del broken["fields"]["vic_MethodsOfControl"]["DebtBondage"]
    broken["fields"]["hte_Type"]["Transit"] = ["ZZ01"]
    with pytest.raises(ConfigError) as caught:
        build_evidence(broken, load_bank())
    assert "value DebtBondage is not listed" in str(caught.value) and "unknown item ZZ01" in str(caught.value)


def test_a_sample_cohort_can_be_screened() -> None:
    records = list(generate_cohort(120, 2, seed=7).records())
    classes = Counter(screen_record(r).continuum_class for r in records)
    assert sum(classes.values()) == 120
    assert len(classes) >= 2, classes
