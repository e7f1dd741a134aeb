"""One typed settings object, read in one place (environment first, then defaults).

| variable | meaning | default |
|---|---|---|
| ``CTDX_DATABASE_URL`` | SQLAlchemy URL of the case store | ``sqlite:///<data dir>/ctdx.sqlite`` |
| ``CTDX_DATA_DIR`` | where the default SQLite database and quarantine files live | ``./ctdx-data`` |
| ``CTDX_KEY_FILE`` | the field-encryption keys, kept outside the database | ``<data dir>/keys/ctdx.key`` |
| ``CTDX_KEY`` | the keyring itself, as the key file's JSON text (overrides the file) | unset |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_DATA_DIR = Path("ctdx-data")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    key_file: Path
    key_text: str | None = None

    def with_database(self, url: str | None) -> Settings:
        return self if url is None else replace(self, database_url=url)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("CTDX_DATA_DIR", str(DEFAULT_DATA_DIR)))
    return Settings(
        data_dir=data_dir,
        database_url=env.get("CTDX_DATABASE_URL", sqlite_url(data_dir / "ctdx.sqlite")),
        key_file=Path(env.get("CTDX_KEY_FILE", str(data_dir / "keys" / "ctdx.key"))),
        key_text=env.get("CTDX_KEY"),
    )
