"""DP synthetic microdata: the budget is respected, required, and the favoured relations survive."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ctdx.errors import ValidationError
from ctdx.privacy.schema import MISSING, PublicationTable, load_publication_schema
from ctdx.privacy.synthesis import epsilon_of, rho_for, synthesise


@pytest.fixture(scope="module")
def table() -> PublicationTable:
    """20,000 rows of six columns: exploited in the country of citizenship for 60 %, women sexually exploited."""
    full = load_publication_schema(first_year=2010, last_year=2024)
    kept = ("yearOfRegistration", "gender", "ageBroad", "citizenship", "CountryOfExploitation", "isSexualExploit")
    schema = dataclasses.replace(full, columns=tuple(full.column(n) for n in kept))
    rng = np.random.default_rng(11)
    n = 20_000
    codes = {c.name: rng.integers(MISSING, len(c.categories), n).astype(np.int32) for c in schema.columns}
    citizenship = rng.choice(12, n)
    codes["citizenship"] = citizenship.astype(np.int32)
    codes["CountryOfExploitation"] = np.where(rng.random(n) < 0.6, citizenship, rng.choice(12, n)).astype(np.int32)
    woman = schema.column("gender").code("Woman")
    codes["isSexualExploit"] = (codes["gender"] == woman).astype(np.int32)
    return PublicationTable(schema, codes)


def test_the_privacy_spent_never_exceeds_what_was_asked(table) -> None:
    result = synthesise(table, epsilon=2.0, delta=1e-6, seed=0)
    assert result.rho <= rho_for(2.0, 1e-6) * (1 + 1e-9)
    assert result.epsilon <= 2.0 + 1e-9 and result.epsilon == pytest.approx(2.0, rel=0.02)
    assert len(result.edges) == len(table.schema.names) - 1  # a spanning tree
    assert epsilon_of(result.rho, 1e-6) == pytest.approx(result.epsilon)


def test_favoured_relations_survive_synthesis(table) -> None:
    result = synthesise(table, epsilon=4.0, delta=1e-6, seed=0)
    synthetic = result.table.codes
    assert ("citizenship", "CountryOfExploitation") in result.edges
    same = float(np.mean(synthetic["citizenship"] == synthetic["CountryOfExploitation"]))
    assert same > 0.4  # 0.63 in the data; about 0.08 if the columns were independent
    woman = table.schema.column("gender").code("Woman")
    women = synthetic["gender"] == woman
    assert float(np.mean(synthetic["isSexualExploit"][women] == 1)) > 0.8
    assert float(np.mean(synthetic["isSexualExploit"][~women] == 1)) < 0.2
    assert abs(len(result.table) - len(table)) < 0.05 * len(table)


def test_every_synthetic_value_is_in_the_standard_domain(table) -> None:
    result = synthesise(table, epsilon=1.0, delta=1e-6, seed=1, rows=500)
    assert len(result.table) == 500
    for column in table.schema.columns:
        codes = result.table.codes[column.name]
        assert codes.min() >= MISSING and codes.max() < len(column.categories)


def test_epsilon_and_delta_are_required(table) -> None:
    with pytest.raises(TypeError):
        synthesise(table)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="delta"):
        synthesise(table, epsilon=1.0, delta=0.0)
    with pytest.raises(ValidationError, match="epsilon"):
        synthesise(table, epsilon=-1.0, delta=1e-6)


def test_post_processing_settings_are_checked(table) -> None:
    for bad in ({"min_count": 0}, {"min_count_length": 0}, {"pool": 0.5}):
        with pytest.raises(ValidationError, match="at least 1"):
            synthesise(table, epsilon=1.0, delta=1e-6, **bad)
    with pytest.raises(ValidationError, match="cells"):
        synthesise(table, epsilon=1.0, delta=1e-6, joint=[("citizenship", "CountryOfExploitation")])


def test_flag_groups_are_modelled_as_one_column(table) -> None:
    full = load_publication_schema(first_year=2010, last_year=2024)
    kept = ("gender", "isForcedLabour", "isSexualExploit", "isOtherExploit")
    schema = dataclasses.replace(full, columns=tuple(full.column(n) for n in kept))
    rng = np.random.default_rng(2)
    kind = rng.choice(3, 5000)
    codes = {"gender": rng.choice(2, 5000).astype(np.int32)}
    for i, name in enumerate(kept[1:]):
        codes[name] = (kind == i).astype(np.int32)
    result = synthesise(PublicationTable(schema, codes), epsilon=1.0, delta=1e-6, seed=0)
    assert result.edges == (("gender", "isForcedLabour+isSexualExploit+isOtherExploit"),)
    flags = np.stack([result.table.codes[n] for n in kept[1:]], axis=1)
    assert np.all(flags.sum(axis=1) == 1)  # one type per case, as in the data
