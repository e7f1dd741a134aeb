"""k-anonymity: the search, local suppression, l-diversity and the independent checker, on data built to break them."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctdx.errors import ValidationError
from ctdx.model import CaseRecord, SourceRef
from ctdx.privacy.checks import check_k_anonymity
from ctdx.privacy.hierarchies import TOP, build_hierarchy, m49_subregions
from ctdx.privacy.kanon import KAnonymousTable, anonymise
from ctdx.privacy.publication import checkbox_consent, publish_records
from ctdx.privacy.schema import MISSING, PublicationSchema, PublicationTable, load_publication_schema
from ctdx.release.files import write_csv
from ctdx.standard.countries import alpha2_codes

QIS = ["yearOfRegistration", "gender", "ageBroad", "citizenship", "CountryOfExploitation"]


@pytest.fixture(scope="module")
def schema() -> PublicationSchema:
    return load_publication_schema(first_year=2010, last_year=2024)


def person(
    i: int, year: int, gender: str, birth_year: int, citizenship: str, exploited_in: str, **extra: object
) -> CaseRecord:
    values = {
        "con_Consent": True,
        "ext_CaseOpenedDate": dt.date(year, 3, 1),
        "ext_IdentificationDate": dt.date(year, 3, 1),
        "prs_Gender": gender,
        "prs_Birthdate": dt.date(birth_year, 1, 1),
        "prs_Citizenship": (citizenship,),
        "ext_CountryOfExploitation": exploited_in,
        **extra,
    }
    return CaseRecord(source=SourceRef(system="t", record_id=f"r{i}"), values=values)  # type: ignore[arg-type]


def cohort() -> list[CaseRecord]:
    """Sixty people in large groups, plus the three kinds of person a release must not expose."""
    people = []
    for i in range(60):
        people.append(
            person(
                i,
                2016 + i % 2,
                ("Feminine", "Masculine")[i % 3 == 0],
                1990 + i % 4,
                ("NG", "VN", "PH")[i % 3],
                ("IT", "GB", "MY")[i % 3],
                vic_TypeOfExploitation=(("SexualExploitation",), ("ForcedLabour",))[i % 2],
            )
        )
    people.append(person(100, 2016, "NonConforming", 1950, "NG", "IT"))  # a unique person
    people.append(person(101, 2017, "Feminine", 1991, "IS", "NZ"))  # a rare country pair
    people.append(person(102, 2011, "Feminine", 1990, "NG", "IT"))  # a tiny year
    return people


def table_of(schema: PublicationSchema, records: list[CaseRecord]) -> PublicationTable:
    publication = publish_records(records, schema, consent=checkbox_consent)
    assert publication.issues == ()
    return publication.table


def written(tmp_path: Path, result: KAnonymousTable) -> Path:
    path = tmp_path / "microdata.csv"
    write_csv(path, result.header, result.rows)
    return path


def test_the_three_people_who_would_be_exposed_are_hidden_and_the_file_proves_k(schema, tmp_path) -> None:
    table = table_of(schema, cohort())
    result = anonymise(table, quasi_identifiers=QIS, k=5, suppression_limit=0.1)
    path = written(tmp_path, result)
    check = check_k_anonymity(path, quasi_identifiers=QIS, k=5)
    assert check.ok and check.rows == len(result.rows) and check.smallest_class >= 5
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    # no row still shows the rare values
    assert not any(r["gender"] == "Trans/Transgender/NonConforming" for r in rows)
    assert not any(r["citizenship"] == "ISL" or r["CountryOfExploitation"] == "NZL" for r in rows)
    assert not any(r["yearOfRegistration"] == "2011" for r in rows)
    # at most 10 % of 63 rows were touched, and the rest of every row is kept
    assert result.rows_locally_suppressed <= 6
    assert len(rows) == 63 - result.rows_removed


def test_a_rare_value_is_generalised_when_suppression_is_not_allowed(schema) -> None:
    table = table_of(schema, cohort())
    result = anonymise(table, quasi_identifiers=QIS, k=5, suppression_limit=0.0)
    assert result.rows_locally_suppressed == 0 and result.rows_removed == 0
    assert result.levels["gender"] == 1  # the one non-conforming person forces gender to *
    assert {r[result.header.index("gender")] for r in result.rows} == {TOP}


def test_the_search_finds_the_least_loss_of_the_whole_lattice(schema) -> None:
    table = table_of(schema, cohort())
    qis = ["yearOfRegistration", "gender", "ageBroad", "citizenship"]
    result = anonymise(table, quasi_identifiers=qis, k=4, suppression_limit=0.05)
    trees = [build_hierarchy(schema.column(q)) for q in qis]
    n = len(table)
    best = None
    # brute force, written independently: every node, plain Python counting
    for node in itertools.product(*[range(t.height + 1) for t in trees]):
        keys = [
            tuple(int(t.generalise(table.codes[q], lv)[i]) for q, t, lv in zip(qis, trees, node, strict=True))
            for i in range(n)
        ]
        sizes = Counter(keys)
        bad = [sizes[key] < 4 for key in keys]
        if sum(bad) > int(0.05 * n):
            continue
        loss = 0.0
        for i, key in enumerate(keys):
            for t, lv, code in zip(trees, node, key, strict=True):
                loss += 1.0 if bad[i] else float(t.loss[lv][code])
        loss /= n * len(qis)
        best = loss if best is None else min(best, loss)
    assert best is not None
    assert result.information_loss == pytest.approx(best)
    assert result.nodes_evaluated < result.lattice_nodes


def test_l_diversity_hides_a_sensitive_value_shared_by_a_whole_class(schema, tmp_path) -> None:
    table = table_of(schema, cohort())
    qis = ["yearOfRegistration", "gender", "citizenship"]
    plain = anonymise(table, quasi_identifiers=qis, k=3, suppression_limit=0.2)
    assert not check_k_anonymity(
        written(tmp_path, plain), quasi_identifiers=qis, k=3, sensitive=["isSexualExploit"], l_diversity=2
    ).ok
    diverse = anonymise(
        table, quasi_identifiers=qis, k=3, suppression_limit=0.2, sensitive=["isSexualExploit"], l_diversity=2
    )
    check = check_k_anonymity(
        written(tmp_path, diverse), quasi_identifiers=qis, k=3, sensitive=["isSexualExploit"], l_diversity=2
    )
    assert check.ok


def test_the_checker_catches_a_file_edited_to_single_someone_out(schema, tmp_path) -> None:
    table = table_of(schema, cohort())
    path = written(tmp_path, anonymise(table, quasi_identifiers=QIS, k=5, suppression_limit=0.1))
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("gender")] = "Trans/Transgender/NonConforming"
    path.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n", encoding="utf-8")
    check = check_k_anonymity(path, quasi_identifiers=QIS, k=5)
    assert not check.ok
    assert check.violating_classes >= 1 and check.smallest_class == 1


def test_k_and_the_suppression_limit_are_required_and_checked(schema) -> None:
    table = table_of(schema, cohort())
    with pytest.raises(TypeError):
        anonymise(table, quasi_identifiers=QIS)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="k must be at least 2"):
        anonymise(table, quasi_identifiers=QIS, k=1, suppression_limit=0.1)
    with pytest.raises(ValidationError, match="share of rows"):
        anonymise(table, quasi_identifiers=QIS, k=5, suppression_limit=5)
    with pytest.raises(ValidationError, match="no generalisation reaches k=100"):
        anonymise(table, quasi_identifiers=QIS, k=100, suppression_limit=0.5)


def test_hierarchies_cover_every_value_of_their_column(schema) -> None:
    assert set(m49_subregions()) == set(alpha2_codes())
    for column in schema.columns:
        tree = build_hierarchy(column)
        assert tree.labels[-1] == (TOP,)
        for level in range(tree.height + 1):
            assert len(tree.maps[level]) == len(column.categories) + 1
        # the loss grows with the level, from 0 at the raw value to 1 at *
        means = [float(tree.loss[lv][tree.maps[lv]].mean()) for lv in range(tree.height + 1)]
        assert means[0] == 0 and means[-1] == 1 and means == sorted(means)
    country = build_hierarchy(schema.column("citizenship"))
    nga = schema.column("citizenship").code("NGA")
    assert [country.label(lv, int(country.maps[lv][nga + 1])) for lv in range(4)] == [
        "NGA",
        "Western Africa",
        "Africa",
        TOP,
    ]
    year = build_hierarchy(schema.column("yearOfRegistration"))
    assert year.label(1, int(year.maps[1][schema.column("yearOfRegistration").code("2017") + 1])) == "2015--2019"
    assert year.label(1, int(year.maps[1][MISSING + 1])) == ""  # missing stays missing until *


def test_twenty_thousand_rows_with_five_quasi_identifiers(schema, tmp_path) -> None:
    rng = np.random.default_rng(5)
    n = 20_000
    codes = {}
    for column in schema.columns:
        values = rng.integers(0, len(column.categories), n)
        codes[column.name] = np.where(rng.random(n) < 0.3, MISSING, values).astype(np.int32)
    result = anonymise(PublicationTable(schema, codes), quasi_identifiers=QIS, k=10, suppression_limit=0.05)
    check = check_k_anonymity(written(tmp_path, result), quasi_identifiers=QIS, k=10)
    assert check.ok and check.rows == n - result.rows_removed


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    rows=st.integers(1, 120),
    k=st.integers(2, 6),
    limit=st.sampled_from([0.0, 0.05, 0.2, 0.5]),
)
def test_any_table_is_released_k_anonymous_or_refused(seed: int, rows: int, k: int, limit: float) -> None:
    schema = load_publication_schema(first_year=2010, last_year=2024)
    rng = np.random.default_rng(seed)
    codes = {}
    for column in schema.columns:
        # few distinct values per column, so that small and large classes both occur
        values = rng.integers(MISSING, min(len(column.categories), 4), rows)
        codes[column.name] = values.astype(np.int32)
    table = PublicationTable(schema, codes)
    qis = ["yearOfRegistration", "gender", "citizenship"]
    try:
        result = anonymise(table, quasi_identifiers=qis, k=k, suppression_limit=limit)
    except ValidationError:
        # generalising everything to * makes one class of all rows: only fewer than k rows can be refused
        assert rows < k
        return
    assert rows >= k
    assert result.rows_locally_suppressed <= int(limit * rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.csv"
        write_csv(path, result.header, result.rows)
        check = check_k_anonymity(path, quasi_identifiers=qis, k=k)
    assert check.ok and check.rows == rows - result.rows_removed
