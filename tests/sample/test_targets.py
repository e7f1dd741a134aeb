"""The shipped targets, name lists and numbering plans agree with the standard and with each other."""

from __future__ import annotations

from ctdx.sample import CORRUPTION_KINDS, load_names, load_targets
from ctdx.sample.identities import numbering_plans
from ctdx.standard import is_country_code, load_standard


def test_every_target_value_is_a_value_of_the_standard() -> None:
    targets, standard = load_targets(), load_standard()

    def names(field: str) -> set[str]:
        return set(standard.field(field).value_names)

    assert set(targets.sex.values) <= names("prs_Gender")
    assert set(targets.relation.values) <= names("vic_RelationshipToTrafficker")
    assert set(targets.recruitment.values) <= names("vic_MethodOfRecruitment")
    assert set(targets.trafficking_status.values) <= names("vic_TraffickingStatus")
    assert set(targets.decision_org.values) <= names("vic_TraffickingStatusDecisionMakingOrg")
    assert set(targets.methods_of_control) <= names("vic_MethodsOfControl")
    for _, categorical in targets.case_status:
        assert set(categorical.values) <= names("cas_Status")
    for profiles in targets.exploitation.values():
        assert {v for combo in profiles.values for v in combo} <= names("vic_TypeOfExploitation")
    for categorical in targets.labour_industry.values():
        assert set(categorical.values) <= names("vic_ForcedLabourIndustry")
    assert {v for combo in targets.sex_exploitation.values for v in combo} <= names("vic_TypeOfSexExploitation")
    assert set(targets.raw["organisations"]["types"]) <= names("org_Type")
    assert set(targets.corruption_kinds.values) == set(CORRUPTION_KINDS)


def test_the_published_figures_the_targets_cite() -> None:
    targets = load_targets()
    shares = dict(zip(targets.age_band_probs.values, targets.age_band_probs.probs.tolist(), strict=True))
    assert abs(shares["0--8"] + shares["9--17"] - 0.24) < 0.005  # CTDC 2024 data story: 24 % children
    assert abs(sum(shares[b] for b in ("18--20", "21--23", "24--26", "27--29")) - 0.43) < 0.005  # 43 % aged 18-29
    assert abs(targets.flows.exploitation_shares()["US"] - 0.53) < 0.02  # k-anon 2021: US 53 %
    female = targets.sex.share("Feminine") + targets.sex.share("TransgenderFeminine")
    assert 0.70 <= female <= 0.74  # 70 % (PLOS ONE, pooled k-anon) to 74 % (2024 synthetic)
    assert targets.missing("age_bands") == 0.48 and targets.missing("sex") == 0.08  # k-anon 2021 missingness
    assert targets.missing("flows", "citizenship_missing") == 0.45
    assert targets.missing("relation") == 0.41
    assert sorted(int(y) for y in targets.years.values) == list(range(2002, 2024))
    for section, body in targets.raw.items():
        if isinstance(body, dict):
            assert body.get("source"), f"section {section} cites no source"


def test_every_country_has_names_and_a_numbering_plan() -> None:
    targets, bank, plans = load_targets(), load_names(), numbering_plans()
    for country in targets.flows.countries:
        assert is_country_code(country)
    for country in set(targets.flows.citizenship):
        assert country in plans and country in bank.by_country, country
        plan = plans[country]
        assert all(len(plan.country_code) + plan.national_length <= 15 for _ in plan.mobile_prefixes)
    for group in bank.groups:
        assert len(group.female) >= 20 and len(group.male) >= 20 and len(group.family_masculine) >= 25
        assert all(name.isprintable() and name.strip() == name for name in group.all_names())
        cyrillic = [n for n in group.all_names() if any("\u0400" <= c <= "\u04ff" for c in n)]
        assert not cyrillic, f"{group.name}: names are recorded in Latin script"
