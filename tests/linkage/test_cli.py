"""``ctdx contribute`` and ``ctdx hub`` as an organisation and a hub would run them."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import json
import re
import sqlite3
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ctdx.cli.main import app
from ctdx.errors import ConflictError, InputFileError, IntegrityError, NotFoundError, StoreError, ValidationError
from ctdx.settings import sqlite_url
from tests.linkage.cohort import COHORT, ORGANISATIONS

runner = CliRunner()


def write_cases(path: Path, org: str) -> Path:
    lines = []
    for entry in COHORT:
        if entry.organisation != org:
            continue
        values = {
            k: (v.isoformat() if isinstance(v, dt.date) else list(v) if isinstance(v, tuple) else v)
            for k, v in entry.case().values.items()
            if not (k == "prs_Birthdate" and isinstance(v, str))  # ages are not importable dates
        }
        lines.append(json.dumps({"source": {"system": org, "record_id": entry.record_id}, "values": values}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_three_organisations_contribute_and_the_hub_counts_persons(tmp_path: Path) -> None:
    secret = tmp_path / "linkage.secret"
    run("contribute", "secret", str(secret))
    assert secret.stat().st_mode & 0o077 == 0
    database = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    assert "hub schema at revision" in run("hub", "upgrade", "--database", database)
    packages = []
    for org in ORGANISATIONS:
        key = tmp_path / f"{org}.pem"
        output = run("contribute", "signing-key", str(key))
        public = re.search(r"^([0-9a-f]{64})$", output, re.MULTILINE)
        assert public is not None
        run("hub", "register", org, public.group(1), "--database", database)
        consented = tmp_path / f"{org}.consented"
        consented.write_text("\n".join(e.record_id for e in COHORT if e.organisation == org and e.consent))
        package = tmp_path / f"{org}.package.json"
        args = ["--organisation", org, "--hub", "hub", "--secret", str(secret), "--signing-key", str(key)]
        cases = write_cases(tmp_path / f"{org}.jsonl", org)
        # The police hold each person once and say so; the others do not declare it.
        declare = ["--one-record-per-person"] if org == "police" else []
        build = ["contribute", "build", "--from-file", str(cases), *args, *declare, "--consented", str(consented)]
        output = run(*build, "--out", str(package))
        assert "cases" in output
        assert ("not declared: one record per person" in output) == (org != "police")
        packages.append(str(package))
    output = run("hub", "receive", *packages, "--database", database)
    assert output.count("added") == 3
    assert output.count("not declared: one record per person") == 2
    assert "police.package.json: from police" in output
    before = " ".join(run("hub", "report", "--database", database).split())
    assert "not linked yet: run `ctdx hub link`" in before
    assert re.search(
        r"police: \d+ cases, 1 package \(latest created [0-9-]+ [0-9:]+ UTC\), declared one record", before
    )
    shown = " ".join(run("hub", "link", "--database", database).split())  # the console wraps long lines
    assert re.search(r"police: [^:]*elsewhere, declared one record per person", shown)
    # The range says what it covers: the linking's spread under the model, not the model's own error.
    assert re.search(r"distinct persons \(range \d+-\d+\)", shown) and "model's own error is not in it" in shown
    assert re.search(r"ngo: [^:]*elsewhere police:", shown)  # organisations in order; the NGO declared nothing
    summary = json.loads(run("hub", "link", "--database", database, "--json"))
    assert summary["one_record_per_person"] == ["police"]
    people = {e.person for e in COHORT if e.consent}
    # Without the age-only birth date, Lan's two records still agree on the name and the rest.
    assert summary["distinct_persons"] == len(people)
    low, high = summary["distinct_persons_range"]
    assert low <= len(people) <= high
    assert summary["records"] == sum(1 for e in COHORT if e.consent)
    # The twin policy is stated: by default twins are kept apart; "learned" keeps them apart too while the
    # hub is too small to train; "may-link" never does; an unknown policy is refused.
    assert summary["twins"] == {"policy": "apart", "cannot_link": True}
    assert "twin policy apart: look-alike twins kept apart" in run("hub", "link", "--database", database)
    learned = json.loads(run("hub", "link", "--database", database, "--twins", "learned", "--json"))
    assert learned["model"] == "default" and learned["twins"] == {"policy": "learned", "cannot_link": True}
    # A hub this small keeps the default model, and says why.
    assert re.fullmatch(r"\d+ records, fewer than the 2,000 a model trains on", learned["model_default_because"])
    assert "not fitted (" in " ".join(run("hub", "link", "--database", database).split())
    may_link = json.loads(run("hub", "link", "--database", database, "--twins", "may-link", "--json"))
    assert may_link["twins"] == {"policy": "may-link", "cannot_link": False}
    refused = runner.invoke(app, ["hub", "link", "--database", database, "--twins", "sometimes"])
    assert refused.exit_code == ValidationError.exit_code
    assert "apart, learned, may-link" in refused.output
    # The path for large hubs (packed arrays, vectorised blocking, chunked scoring) counts the same persons,
    # stores a person id per case, and keeps the declaration and the twin policy.
    arrays = json.loads(run("hub", "link", "--database", database, "--arrays", "--json"))
    assert arrays["distinct_persons"] == len(people) and arrays["records"] == summary["records"]
    assert arrays["one_record_per_person"] == ["police"] and arrays["twins"] == summary["twins"]
    assert arrays["organisations"] == summary["organisations"] and arrays["overlap"] == summary["overlap"]
    assert summary["path"] == "objects" and arrays["path"] == "arrays"
    assert arrays["model_default_because"] == summary["model_default_because"]
    assert json.loads(run("hub", "link", "--database", database, "--no-arrays", "--json"))["path"] == "objects"
    assert "linked as objects" in run("hub", "link", "--database", database)
    with sqlite3.connect(tmp_path / "hub.sqlite") as db:
        stored = dict(db.execute("select person_id, count(*) from hub_case group by person_id").fetchall())
    assert None not in stored and len(stored) == len(people)
    other = runner.invoke(app, ["hub", "link", "--database", database, "--backend", "ray"])
    assert other.exit_code == ValidationError.exit_code and "duckdb or spark" in other.output
    # Spark links arrays only: asking it for one object per case is refused before anything runs.
    objects = runner.invoke(app, ["hub", "link", "--database", database, "--backend", "spark", "--no-arrays"])
    assert objects.exit_code == ValidationError.exit_code and "Spark backend links packed arrays" in objects.output
    # The report reads the last run back without linking again, and says when packages arrived since.
    report = json.loads(run("hub", "report", "--database", database, "--json"))
    assert report["last_run"]["distinct_persons"] == len(people) and report["last_run"]["path"] == "objects"
    assert report["cases"] == summary["records"] and report["stale"] is False
    shown = " ".join(run("hub", "report", "--database", database).split())
    assert f"{summary['records']} cases, {len(people)} distinct persons" in shown and "received since" not in shown
    again = tmp_path / f"{org}.again.json"
    run(*build, "--out", str(again))  # the last organisation builds its package again
    run("hub", "receive", str(again), "--database", database)
    stale = " ".join(run("hub", "report", "--database", database).split())
    assert "1 package received since: these figures predate them; run `ctdx hub link`" in stale
    missing = runner.invoke(app, ["hub", "report", "--database", f"sqlite:///{tmp_path / 'none.sqlite'}"])
    assert missing.exit_code == StoreError.exit_code and "no hub database at" in missing.output
    assert not (tmp_path / "none.sqlite").exists()


def test_a_tampered_package_file_is_refused_with_the_integrity_exit_code(tmp_path: Path) -> None:
    secret = tmp_path / "s"
    key = tmp_path / "k.pem"
    run("contribute", "secret", str(secret))
    public = re.search(r"([0-9a-f]{64})", run("contribute", "signing-key", str(key)))
    assert public is not None
    database = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    run("hub", "upgrade", "--database", database)
    run("hub", "register", "ngo", public.group(1), "--database", database)
    consented = tmp_path / "c"
    consented.write_text("n1\nn2\n")
    package = tmp_path / "p.json"
    cases = write_cases(tmp_path / "ngo.jsonl", "ngo")
    # Which cases may be shared is never assumed: --consented is required.
    missing = ["contribute", "build", "--from-file", str(cases), "--organisation", "ngo", "--hub", "hub"]
    missing += ["--secret", str(secret), "--out", str(package)]
    assert runner.invoke(app, [*missing, "--signing-key", str(key)]).exit_code != 0
    assert not package.exists()
    args = ["--organisation", "ngo", "--hub", "hub", "--secret", str(secret), "--signing-key", str(key)]
    run("contribute", "build", "--from-file", str(cases), *args, "--consented", str(consented), "--out", str(package))
    envelope = json.loads(package.read_text())
    signature = bytearray(base64.b64decode(envelope["signature"]))
    signature[0] ^= 1
    envelope["signature"] = base64.b64encode(bytes(signature)).decode()
    package.write_text(json.dumps(envelope))
    result = runner.invoke(app, ["hub", "receive", str(package), "--database", database])
    assert result.exit_code == IntegrityError.exit_code
    assert "signature" in result.output
    # Writing over an existing file is refused.
    assert runner.invoke(app, ["contribute", "secret", str(secret)]).exit_code != 0


def test_duplicates_inside_one_organisation(tmp_path: Path) -> None:
    cases = tmp_path / "all.jsonl"
    lines = []
    for org in ORGANISATIONS:
        lines.extend(write_cases(tmp_path / f"{org}.jsonl", org).read_text().splitlines())
    cases.write_text("\n".join(lines) + "\n")
    result = json.loads(run("contribute", "duplicates", str(cases), "--json"))
    persons = result["persons"]
    assert persons["ngo:n1"] == persons["police:p1"] == persons["hotline:h1"]
    assert persons["ngo:n2"] != persons["ngo:n1"]
    assert persons["ngo:n3"] != persons["police:p2"]
    assert result["mode"] == "plaintext"


def test_contribute_build_reads_the_consented_cases_from_the_organisations_store(tmp_path: Path) -> None:
    env = {"CTDX_DATA_DIR": str(tmp_path), "CTDX_DATABASE_URL": sqlite_url(tmp_path / "ngo.sqlite")}

    def run_env(*args: str) -> str:
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == 0, result.output
        return result.output

    run_env("import", str(write_cases(tmp_path / "ngo.jsonl", "ngo")), "--org", "ngo")
    with sqlite3.connect(tmp_path / "ngo.sqlite") as db:
        ids = {r: str(uuid.UUID(str(i))) for r, i in db.execute("select source_record_id, id from case_file")}
    desk = ["--system", "consent-desk", "--org", "ngo"]
    run_env("case", "consent", "record", ids["n1"], "data_sharing", "--recipient", "regional-hub", *desk)
    run_env("case", "consent", "record", ids["n2"], "data_sharing", *desk)  # any recipient
    run_env("case", "consent", "record", ids["n3"], "referral", *desk)  # not a sharing consent
    run_env("case", "consent", "record", ids["n4"], "data_sharing", "--recipient", "another-hub", *desk)
    secret, key, package = tmp_path / "linkage.secret", tmp_path / "ngo.pem", tmp_path / "ngo.package.json"
    run_env("contribute", "secret", str(secret))
    public = re.search(r"^([0-9a-f]{64})$", run_env("contribute", "signing-key", str(key)), re.MULTILINE)
    assert public is not None
    args = ["--organisation", "ngo", "--hub", "regional-hub", "--secret", str(secret), "--signing-key", str(key)]
    # --consented is for case files: the store records consent itself.
    refused = runner.invoke(app, ["contribute", "build", *args, "--consented", str(secret), "--out", str(package)])
    assert refused.exit_code == ValidationError.exit_code and not package.exists()
    ngo_cases = sum(1 for e in COHORT if e.organisation == "ngo" and not isinstance(e.birth, str))
    output = " ".join(run_env("contribute", "build", *args, "--out", str(package)).split())
    assert f"2 cases, {ngo_cases - 2} without a data-sharing consent" in output
    assert package.stat().st_mode & 0o077 == 0

    hub = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    assert runner.invoke(app, ["hub", "status", "--database", hub]).exit_code == 1  # no hub schema yet
    assert not (tmp_path / "hub.sqlite").exists()  # and asking did not create the file
    run("hub", "upgrade", "--database", hub)
    assert "up to date" in run("hub", "status", "--database", hub)
    run("hub", "register", "ngo", public.group(1), "--database", hub)
    assert "2 added" in run("hub", "receive", str(package), "--database", hub)
    # The store's audit: one read of identifying fields (a chunk of cases), one export, the chain intact.
    with sqlite3.connect(tmp_path / "ngo.sqlite") as db:
        actions = dict(db.execute("select action, count(*) from audit_event group by action").fetchall())
        exported = db.execute("select detail from audit_event where action = 'export'").fetchone()[0]
    assert actions["read_identifying"] == 1 and actions["export"] == 1
    assert json.loads(exported)["recipient"] == "regional-hub"
    run_env("audit", "verify")


def test_a_hub_that_expects_a_secret_refuses_a_first_package_encoded_under_another(tmp_path: Path) -> None:
    theirs, ours, key = tmp_path / "theirs", tmp_path / "ours", tmp_path / "k.pem"
    run("contribute", "secret", str(theirs))
    fingerprint = re.search(r"fingerprint ([0-9a-f]{16})", run("contribute", "secret", str(ours)))
    public = re.search(r"^([0-9a-f]{64})$", run("contribute", "signing-key", str(key)), re.MULTILINE)
    assert fingerprint is not None and public is not None
    database = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    run("hub", "upgrade", "--database", database)
    assert runner.invoke(app, ["hub", "expect-secret", "not-hex", "--database", database]).exit_code == 9
    run("hub", "expect-secret", fingerprint.group(1), "--database", database)
    run("hub", "register", "ngo", public.group(1), "--database", database)
    consented = tmp_path / "c"
    consented.write_text("n1\n")
    cases = write_cases(tmp_path / "ngo.jsonl", "ngo")
    for secret in (theirs, ours):
        args = ["--organisation", "ngo", "--hub", "hub", "--secret", str(secret), "--signing-key", str(key)]
        out = str(secret) + ".json"
        run("contribute", "build", "--from-file", str(cases), *args, "--consented", str(consented), "--out", out)
    refused = runner.invoke(app, ["hub", "receive", f"{theirs}.json", "--database", database])
    assert refused.exit_code == ConflictError.exit_code and "secret fingerprint" in " ".join(refused.output.split())
    assert "1 added" in run("hub", "receive", f"{ours}.json", "--database", database)


def registered_organisations(tmp_path: Path) -> tuple[str, dict[str, list[str]]]:
    """A hub database with the cohort's organisations registered under a shared secret, and per organisation
    the arguments of `ctdx contribute build` from its case file (its consented cases, key and the secret)."""
    secret = tmp_path / "linkage.secret"
    run("contribute", "secret", str(secret))
    database = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    run("hub", "upgrade", "--database", database)
    arguments = {}
    for org in ORGANISATIONS:
        key = tmp_path / f"{org}.pem"
        public = re.search(r"^([0-9a-f]{64})$", run("contribute", "signing-key", str(key)), re.MULTILINE)
        assert public is not None
        run("hub", "register", org, public.group(1), "--database", database)
        consented = tmp_path / f"{org}.consented"
        consented.write_text("\n".join(e.record_id for e in COHORT if e.organisation == org and e.consent))
        cases = write_cases(tmp_path / f"{org}.jsonl", org)
        args = ["--from-file", str(cases), "--consented", str(consented), "--organisation", org, "--hub", "hub"]
        arguments[org] = [*args, "--secret", str(secret), "--signing-key", str(key)]
    return database, arguments


def test_organisations_choose_the_birth_date_salt_together_and_the_hub_states_it(tmp_path: Path) -> None:
    database, arguments = registered_organisations(tmp_path)
    built = {}
    for org, args in arguments.items():
        for salt in ("birth-date", "none"):
            out = tmp_path / f"{org}.{salt}.json"
            shown = " ".join(run("contribute", "build", *args, "--salt", salt, "--out", str(out)).split())
            assert f"name salt: {salt}" in shown
            built[org, salt] = str(out)
        refused = runner.invoke(app, ["contribute", "build", *args, "--salt", "birth-year", "--out", f"{tmp_path}/x"])
        assert refused.exit_code == ValidationError.exit_code and "none or birth-date" in refused.output
        assert not (tmp_path / "x").exists()
    assert "added" in run("hub", "receive", built["police", "birth-date"], "--database", database)
    # Every organisation of a hub encodes alike: an unsalted package after a salted one is refused.
    refused = runner.invoke(app, ["hub", "receive", built["ngo", "none"], "--database", database])
    assert refused.exit_code == ConflictError.exit_code and "encoding" in refused.output
    run("hub", "receive", built["ngo", "birth-date"], built["hotline", "birth-date"], "--database", database)
    assert "name salt of the packages: birth-date" in run("hub", "link", "--database", database)
    summary = json.loads(run("hub", "link", "--database", database, "--json"))
    assert summary["salt"] == "birth-date"
    # The attack check simulates the hub's own encoding: salted, as its packages are.
    names = tmp_path / "names.csv"
    names.write_text("name,count\nmaria,50\nolena,30\nkovalenko,20\npopescu,10\nali,8\n")
    attack = ["hub", "attack-check", "--names", str(names), "--database", database, "--records", "100"]
    assert "name salt: birth-date" in " ".join(run(*attack).split())
    assert json.loads(run(*attack, "--json"))["salt"] == "birth-date"
    # A check on fewer people than the hub holds says that its rates may be low.
    fewer = " ".join(run(*attack[:-1], "5").split())
    assert re.search(r"the hub holds \d+ cases, more than the 5 simulated people", fewer)
    assert "more than the" not in " ".join(run(*attack).split())
    # The salted hub counts the cohort's people as the unsalted one does: Lan's records, written without
    # their age-only birth date, have no name-part filter under the salt and still link on all name parts.
    people = {e.person for e in COHORT if e.consent}
    assert summary["distinct_persons"] == len(people)


def test_the_hub_reports_what_organisations_share_expected_beside_the_person_ids(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A trained model's run (the count and what is shared, expected from the probabilities): the police and
    # the NGO share one person for sure and one at 0.6, which the person ids (threshold 0.9) leave out; the
    # summary states both and how the expectation is made, and the CLI prints both.
    from ctdx.cli.hub import print_linkage_result
    from ctdx.linkage.clustering import SHARING_METHOD, ClusteringConfig, cluster_scored
    from ctdx.linkage.linking import LinkageResult, organisation_overlap, person_ids
    from ctdx.linkage.scoring import ScoredPair

    ids = ["ngo:1", "police:1", "ngo:2", "police:2", "hotline:1"]
    organisation_of = {uid: uid.split(":")[0] for uid in ids}
    pairs = [ScoredPair("ngo:1", "police:1", 0.99, False), ScoredPair("ngo:2", "police:2", 0.6, False)]
    clusters, count = cluster_scored(ids, pairs, ClusteringConfig(threshold=0.9), list(organisation_of.values()))
    persons = person_ids(clusters)
    organisations, overlap = organisation_overlap(organisation_of, persons)
    result = LinkageResult(persons, count, len(ids), 2, 1, True, "privacy", organisations, overlap, "apart", True)
    summary = result.summary()
    assert summary["overlap"] == [
        {"organisations": ["ngo", "police"], "persons": 1, "expected_persons": pytest.approx(1.6)}
    ]
    assert summary["organisations"]["ngo"] == {
        "cases": 2,
        "persons": 2,
        "shared_persons": 1,
        "expected_persons": 2.0,
        "expected_shared_persons": pytest.approx(1.6),
    }
    assert summary["organisations"]["hotline"]["expected_shared_persons"] == 0.0
    assert summary["sharing_method"] == SHARING_METHOD
    print_linkage_result(result)
    printed = " ".join(capsys.readouterr().out.split())
    assert "ngo and police share about 2 persons (expected; 1 by confident links)" in printed
    assert (
        "ngo: 2 cases, about 2 persons (2 person ids), about 2 also known elsewhere (1 by confident links)" in printed
    )
    # Without a trained model there is no expectation: the person ids' figures alone.
    untrained = replace(result, count=replace(count, expected=None, sharing=None), trained=False)
    assert untrained.summary()["overlap"] == [{"organisations": ["ngo", "police"], "persons": 1}]
    assert untrained.summary()["organisations"]["ngo"] == {"cases": 2, "persons": 2, "shared_persons": 1}
    assert "sharing_method" not in untrained.summary()
    print_linkage_result(untrained)
    printed = capsys.readouterr().out
    assert "ngo and police share 1 person\n" in printed and "ngo: 2 cases, 2 persons, 1 also known elsewhere" in printed


def test_each_organisation_joins_the_hub_s_person_ids_to_its_own_cases(tmp_path: Path) -> None:
    # The hub's per-case output: a person id for each contributed case, and how many organisations hold that
    # person. Each organisation keeps the references of its cases (`--refs-out`) and joins the hub's file back
    # to its own record ids; the hub's file holds references only.
    database, arguments = registered_organisations(tmp_path)
    refs: dict[str, Path] = {}
    for org, args in arguments.items():
        package, refs[org] = tmp_path / f"{org}.package.json", tmp_path / f"{org}.refs.csv"
        run("contribute", "build", *args, "--out", str(package), "--refs-out", str(refs[org]))
        assert refs[org].stat().st_mode & 0o077 == 0
        run("hub", "receive", str(package), "--database", database)
    out = tmp_path / "persons.csv"
    refused = runner.invoke(app, ["hub", "persons", "--database", database, "--out", str(out)])
    assert refused.exit_code == NotFoundError.exit_code and "run `ctdx hub link`" in refused.output
    assert not out.exists()
    run("hub", "link", "--database", database)
    assert "persons" in run("hub", "persons", "--database", database, "--out", str(out))
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    truth = {(e.organisation, e.record_id): e.person for e in COHORT if e.consent}
    assert len(rows) == len(truth)
    person_of: dict[tuple[str, str], str] = {}
    for org, path in refs.items():
        with path.open(encoding="utf-8", newline="") as handle:
            mine = {r["case_ref"]: r["record_id"] for r in csv.DictReader(handle)}
        assert set(mine.values()) == {record for o, record in truth if o == org}
        person_of |= {(org, mine[r["case_ref"]]): r["person_id"] for r in rows if r["organisation"] == org}
    # The person ids group the cases as the truth does, and each row counts the organisations holding them.
    groups = {frozenset(k for k in truth if truth[k] == p) for p in truth.values()}
    assert {frozenset(k for k in person_of if person_of[k] == p) for p in person_of.values()} == groups
    holders = {p: {o for (o, _), q in truth.items() if q == p} for p in truth.values()}
    by_ref = {(r["organisation"], r["case_ref"]): int(r["organisations"]) for r in rows}
    assert sorted(by_ref.values()) == sorted(len(holders[truth[k]]) for k in truth)
    assert max(by_ref.values()) > 1  # the cohort holds people known to several organisations
    # One organisation's view, and the checks a user runs into.
    ngo = tmp_path / "ngo.csv"
    run("hub", "persons", "--database", database, "--out", str(ngo), "--organisation", "ngo")
    assert {r["organisation"] for r in csv.DictReader(ngo.read_text(encoding="utf-8").splitlines())} == {"ngo"}
    unknown = ["hub", "persons", "--database", database, "--out", str(tmp_path / "x.csv"), "--organisation", "bank"]
    refused = runner.invoke(app, unknown)
    assert refused.exit_code == NotFoundError.exit_code and "no case of organisation" in refused.output
    again = runner.invoke(app, ["hub", "persons", "--database", database, "--out", str(out)])
    assert again.exit_code == InputFileError.exit_code and "never overwritten" in again.output
    nowhere = runner.invoke(app, ["hub", "persons", "--database", database, "--out", str(tmp_path / "no" / "p.csv")])
    assert nowhere.exit_code == InputFileError.exit_code and "cannot be created" in nowhere.output
    # Cases received after the run (here one organisation's package again) have no person id until the next.
    run("contribute", "build", *arguments[org], "--out", str(tmp_path / "again.json"))
    run("hub", "receive", str(tmp_path / "again.json"), "--database", database)
    later = tmp_path / "later.csv"
    shown = " ".join(run("hub", "persons", "--database", database, "--out", str(later)).split())
    waiting = [r for r in csv.DictReader(later.read_text(encoding="utf-8").splitlines()) if not r["person_id"]]
    assert waiting and {r["organisation"] for r in waiting} == {org}
    assert f"{len(waiting)} cases received since the last run have no person id yet" in shown
