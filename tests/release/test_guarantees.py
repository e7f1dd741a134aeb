"""Every guarantee a release states, proved on data built to break it, and ``verify`` failing on tampering.

The cohort holds sixty people in large groups plus a unique person, a rare country pair and a tiny year
(tests/privacy/test_kanon.py). Releases are built through the library (``build_release``) and checked from
their files, and through the CLI where the user meets the guarantee (``ctdx release verify``).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ctdx.cli.main import app
from ctdx.privacy.aggregates import select_breakdowns
from ctdx.privacy.ledger import create_ledger
from ctdx.privacy.publication import checkbox_consent, publish_records
from ctdx.privacy.schema import PublicationTable, load_publication_schema
from ctdx.release import ReleaseConfig, build_release, verify_release
from ctdx.release.evaluation import evaluate_microdata, generalised_source
from ctdx.release.files import canonical_json, sha256_file
from ctdx.store.keyring import Keyring, init_keyring, new_keyring
from tests.privacy.test_kanon import QIS, cohort

runner = CliRunner()
K, THRESHOLD = 5, 20


@pytest.fixture(scope="module")
def table() -> PublicationTable:
    schema = load_publication_schema(first_year=2010, last_year=2024)
    return publish_records(cohort(), schema, consent=checkbox_consent).table


@pytest.fixture(scope="module")
def crowded() -> PublicationTable:
    """The cohort with its large groups four times over, the three exposed people still alone.

    With sixty people the cells of ``year_gender_age`` hold 10-20 people each, so a noisy count fell under the
    threshold of 20 in about one build in twenty and the table came out empty, proving nothing. Four times over,
    every cell of the large groups stands well above the threshold whatever the noise.
    """
    schema = load_publication_schema(first_year=2010, last_year=2024)
    records = cohort()
    for copy in range(1, 4):
        for record in records[:60]:
            source = record.source.model_copy(update={"record_id": f"{record.source.record_id}-{copy}"})
            records.append(record.model_copy(update={"source": source}))
    return publish_records(records, schema, consent=checkbox_consent).table


def config(version: str = "1.0.0", *, synthetic: bool = False) -> ReleaseConfig:
    return ReleaseConfig(
        name="guarantees",
        version=version,
        title="Guarantees",
        k=K,
        suppression_limit=0.1,
        quasi_identifiers=tuple(QIS),
        epsilon=1.0,
        delta=0.0,
        threshold=THRESHOLD,
        breakdowns=select_breakdowns(["year_gender_age", "flows"]),
        synthetic_epsilon=1.0 if synthetic else None,
        synthetic_delta=1e-6 if synthetic else None,
        seed=7 if synthetic else None,
        holdout=0.2 if synthetic else None,
        attack_targets=50 if synthetic else None,
    )


def build(tmp_path: Path, table: PublicationTable, keyring: Keyring, *, synthetic: bool = False) -> Path:
    ledger = tmp_path / "ledger.json"
    if not ledger.exists():
        create_ledger(ledger, dataset="t", epsilon_budget=10, delta_budget=1e-5, keyring=keyring)
    out = tmp_path / ("synthetic" if synthetic else "release")
    build_release(out, table, config(synthetic=synthetic), ledger=ledger, keyring=keyring)
    return out


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def codes(result) -> set[str]:
    return {p.code for p in result.problems}


def test_the_three_exposed_people_are_in_no_released_file(crowded, keyring, tmp_path) -> None:
    out = build(tmp_path, crowded, keyring)
    micro = rows(out / "microdata.csv")
    assert not any(r["gender"] == "Trans/Transgender/NonConforming" for r in micro)  # the unique person
    assert not any(r["citizenship"] == "ISL" or r["CountryOfExploitation"] == "NZL" for r in micro)  # rare pair
    assert not any(r["yearOfRegistration"] == "2011" for r in micro)  # the tiny year
    years = rows(out / "aggregates" / "year_gender_age.csv")
    assert years and not any(r["yearOfRegistration"] == "2011" for r in years)
    assert all(int(r["count"]) >= THRESHOLD for r in years)
    flows = rows(out / "aggregates" / "flows.csv")
    assert not any(r["citizenship"] == "ISL" and r["CountryOfExploitation"] == "NZL" for r in flows)
    report = json.loads((out / "report.json").read_text())
    assert report["privacy"]["microdata"]["rare_combinations"]["leaked_total"] == 0
    assert report["privacy"]["k_verified"]["ok"] is True
    assert verify_release(out, keyring).ok


def test_the_leakage_check_catches_a_rare_combination_written_into_the_microdata(table, keyring, tmp_path) -> None:
    """The check the build relies on can fail: add the unique person's (generalised) row to the file rows."""
    from ctdx.privacy.kanon import anonymise

    micro = anonymise(table, quasi_identifiers=QIS, k=K, suppression_limit=0.1)
    clean = [list(r) for r in micro.rows]
    assert evaluate_microdata(table, micro, clean)[1]["rare_combinations"]["leaked_total"] == 0
    source = generalised_source(table, micro)
    exposed = [r for r in source if list(r) not in clean]
    assert exposed
    leaked = evaluate_microdata(table, micro, [*clean, list(exposed[0])])[1]["rare_combinations"]
    assert leaked["leaked_total"] >= 1 and leaked["by_length"]["all"]["leaked"] == 1


def test_a_report_carries_utility_and_privacy_for_both_kinds_of_microdata(table, keyring, tmp_path) -> None:
    out = build(tmp_path, table, keyring, synthetic=True)
    report = json.loads((out / "report.json").read_text())
    utility, privacy = report["utility"], report["privacy"]
    assert "not differentially private" in utility["not_dp"] and "denominator" in utility["denominator_rule"]
    assert utility["three_way_tvd"] == {"seed": 2024, "max_sets": 200}
    for part in ("microdata", "synthetic"):
        assert set(utility[part]["combinations"]) == {"1", "2", "3", "4"}
        assert 0 <= utility[part]["k_marginal"] <= 1000 and 0 <= utility[part]["three_way_tvd"] <= 1
    assert set(utility["synthetic"]["flag_shares"]) >= {"typeOfExploitation", "meansOfControl"}
    assert all(m["fabricated_pct"] == 0.0 for m in utility["microdata"]["combinations"].values())  # real rows
    assert [p["name"] for p in privacy["spent"]["parts"]] == ["aggregates", "synthetic"]
    assert privacy["spent"]["total"]["epsilon"] == pytest.approx(2.0)
    attacks = privacy["synthetic"]["attacks"]
    assert attacks["control_split"]["holdout"] == 0.2 and attacks["control_split"]["control_rows"] == 13
    assert attacks["control_split"]["targets"] == 13  # every control row (fewer than the 50 allowed)
    for name in ("singling_out", "linkability"):
        assert attacks[name]["risk_low"] <= attacks[name]["risk"] <= attacks[name]["risk_high"] <= 1
    assert attacks["inference"]["worst"]["risk_high"] <= 1
    assert 0 <= privacy["synthetic"]["exact_copies"]["of_source"]["copies_of_unique_pct"] <= 100
    text = (out / "report.json").read_text()
    assert "NonConforming" not in text and "ISL" not in text  # scores only, never a combination
    page = (out / "report.html").read_text()
    assert "<script" not in page and "http" not in page.replace("http://www.w3.org", "")
    assert "singling out" in page and "<svg" in page and "not differentially private" in page
    assert verify_release(out, keyring).ok


def _rewrite_report(out: Path, edit) -> None:
    """Edit report.json and re-hash it in datapackage.json, as a forger without the ledger key can."""
    report = json.loads((out / "report.json").read_text())
    edit(report)
    (out / "report.json").write_text(canonical_json(report) + "\n")
    package = json.loads((out / "datapackage.json").read_text())
    package["ctdx:privacy"]["report_hash"] = "sha256:" + sha256_file(out / "report.json")
    (out / "datapackage.json").write_text(canonical_json(package) + "\n")


def test_verify_fails_on_a_report_whose_epsilon_was_edited(table, keyring, tmp_path) -> None:
    out = build(tmp_path, table, keyring)

    def lower(report) -> None:
        report["total"]["epsilon"] = 0.1
        report["privacy"]["spent"]["total"]["epsilon"] = 0.1

    _rewrite_report(out, lower)
    result = verify_release(out, keyring)
    assert "loss_mismatch" in codes(result) and "hash_mismatch" not in codes(result)
    package = json.loads((out / "datapackage.json").read_text())
    package["ctdx:privacy"]["epsilon"] = 0.1
    (out / "datapackage.json").write_text(canonical_json(package) + "\n")
    assert any(p.where == "datapackage.json" for p in verify_release(out, keyring).problems)


def test_verify_fails_on_a_ledger_line_altered_and_rechained_without_the_key(table, keyring, tmp_path) -> None:
    import hashlib

    out = build(tmp_path, table, keyring)
    raw = json.loads((out / "ledger.json").read_text())
    raw["entries"][0]["epsilon"] = 0.1
    raw["entries"][0]["hash"] = hashlib.sha256(
        canonical_json({k: v for k, v in raw["entries"][0].items() if k != "hash"}).encode()
    ).hexdigest()
    raw.pop("hash")
    raw["hash"] = hashlib.sha256(canonical_json(raw).encode()).hexdigest()
    (out / "ledger.json").write_text(json.dumps(raw))
    result = verify_release(out, keyring)
    assert "integrity" in codes(result)


def test_verify_needs_the_ledger_key_and_says_so(table, keyring, tmp_path, monkeypatch) -> None:
    out = build(tmp_path, table, keyring)
    assert runner.invoke(app, ["release", "verify", str(out)]).exit_code == 0  # CTDX_KEY_FILE (conftest)
    init_keyring(tmp_path / "other" / "ctdx.key")
    wrong = runner.invoke(app, ["release", "verify", str(out), "--key-file", str(tmp_path / "other" / "ctdx.key")])
    assert wrong.exit_code == 3 and "has no key" in wrong.output
    monkeypatch.setenv("CTDX_KEY_FILE", str(tmp_path / "absent.key"))
    missing = runner.invoke(app, ["release", "verify", str(out)])
    assert missing.exit_code == 3 and "no encryption key" in missing.output
    with pytest.raises(Exception, match="has no key"):
        verify_release(out, new_keyring())


def test_a_release_over_budget_is_refused_and_an_override_is_recorded_and_verified(table, keyring, tmp_path) -> None:
    from ctdx.errors import PermissionDenied
    from ctdx.privacy.ledger import Override, load_ledger

    ledger = tmp_path / "ledger.json"
    create_ledger(ledger, dataset="t", epsilon_budget=1.5, delta_budget=1e-5, keyring=keyring)
    build_release(tmp_path / "a", table, config("1.0.0"), ledger=ledger, keyring=keyring)
    with pytest.raises(PermissionDenied, match="over its budget"):
        build_release(tmp_path / "b", table, config("1.1.0"), ledger=ledger, keyring=keyring)
    assert not (tmp_path / "b").exists() and len(load_ledger(ledger, keyring).entries) == 1
    override = Override(by="Data protection officer", reason="Board decision 2026-11")
    build_release(tmp_path / "b", table, config("1.1.0"), ledger=ledger, keyring=keyring, override=override)
    entry = load_ledger(ledger, keyring).entries[-1]
    assert (entry.override_by, entry.override_reason) == (override.by, override.reason)
    assert verify_release(tmp_path / "b", keyring).ok
