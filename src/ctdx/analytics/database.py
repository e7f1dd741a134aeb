"""DuckDB over the files of published releases: one in-memory table per published table.

Each table is loaded once from its Parquet file (the CSV when there is no Parquet twin), with a ``rowid``
in file order for key-set pagination and integer columns (counts, error bounds) cast from the text the
release writes. Nothing but release files is ever loaded. Identifiers in SQL come only from the release's
own column names (checked against the package); every value a visitor sends is a bound parameter.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

import duckdb

from ctdx.analytics.release import Release, ReleaseTable
from ctdx.errors import InputFileError, NotFoundError

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote(name: str) -> str:
    """A column name as a SQL identifier; only names that are plain identifiers exist in a release."""
    if not IDENTIFIER.match(name):
        raise InputFileError(f"column name {name!r} is not a plain identifier")
    return f'"{name}"'


class ReleaseData:
    """The releases being served, their tables loaded in DuckDB."""

    def __init__(self, releases: Sequence[Release]) -> None:
        self.releases: dict[str, Release] = {}
        self._names: dict[tuple[str, str], str] = {}
        self._connection = duckdb.connect(":memory:")
        self._local = threading.local()
        for r_index, release in enumerate(releases):
            if release.slug in self.releases:
                raise InputFileError(f"release {release.slug} is given twice", path=str(release.path))
            self.releases[release.slug] = release
            for t_index, table in enumerate(release.tables):
                name = f"r{r_index}_t{t_index}"
                self._load(name, table)
                self._names[(release.slug, table.name)] = name

    def _load(self, name: str, table: ReleaseTable) -> None:
        columns = []
        for field in table.fields:
            column = quote(field.name)
            columns.append(
                f"TRY_CAST(NULLIF(CAST({column} AS VARCHAR), '') AS BIGINT) AS {column}"
                if field.type == "integer"
                else f"COALESCE(CAST({column} AS VARCHAR), '') AS {column}"
            )
        if table.parquet is not None:
            source = "read_parquet(?)"
            path = str(table.parquet)
        else:
            source = "read_csv(?, all_varchar = true, header = true)"
            path = str(table.csv)
        self._connection.execute(
            f"CREATE TABLE {name} AS SELECT row_number() OVER () AS rowid, {', '.join(columns)} FROM {source}", [path]
        )

    def release(self, slug: str) -> Release:
        try:
            return self.releases[slug]
        except KeyError:
            raise NotFoundError(f"no release {slug!r} is published here") from None

    def table(self, slug: str, table: str) -> tuple[ReleaseTable, str]:
        """The table ``table`` of release ``slug`` and its name in SQL."""
        found = self.release(slug).table(table)
        if found is None:
            raise NotFoundError(f"release {slug} has no table {table!r}")
        return found, self._names[(slug, table)]

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read-only query, on a cursor of this thread's own."""
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._connection.cursor()
            self._local.cursor = cursor
        return cursor.execute(sql, list(params)).fetchall()
