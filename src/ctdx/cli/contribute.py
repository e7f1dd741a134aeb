"""``ctdx contribute``: an organisation's side of privacy-preserving linkage.

``build`` reads the organisation's cases from its store (``--database``, default ``CTDX_DATABASE_URL``, and
the store's key file), keeps those whose recorded consent allows sharing with the hub, and writes the
signed package (``ctdx.linkage.store_contribution``); ``--from-file`` builds from a case file instead, with
the consented record ids given in a file; ``--refs-out`` keeps, for the organisation only, each case's
reference at the hub beside its record id, which joins ``ctdx hub persons`` back to its cases. ``secret``
and ``signing-key`` create the shared linkage secret and the organisation's key; ``duplicates`` finds the
organisation's own duplicates in plaintext mode.
Output names files, counts and codes: never an identifying value.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import typer

from ctdx.cli.console import cli_errors, console, err_console
from ctdx.cli.hub import TWINS, print_linkage_result, read_file, write_private
from ctdx.errors import InputFileError, ValidationError
from ctdx.linkage.contribution import (
    ContributionReport,
    build_contribution,
    case_reference,
    generate_signing_key,
    load_signing_key,
    public_key_text,
    signing_key_to_pem,
)
from ctdx.linkage.encoding import DEFAULT_ENCODING_CONFIG, EncodingConfig, LinkageSecret
from ctdx.model.records import CaseRecord

app = typer.Typer(
    help="Contribute consented, de-identified cases with linkage encodings to a hub.", no_args_is_help=True
)

THRESHOLD = typer.Option(0.9, "--threshold", help="Match probability at which two cases are the same person.")
SYSTEM = "ctdx-contribute"


def _cases(path: Path) -> Iterator[CaseRecord]:
    """The valid cases of a case file (any format ``ctdx import`` reads); problems go to stderr."""
    from ctdx.ingest.pipeline import FileReading, ReadOptions

    with FileReading(path, ReadOptions()) as reading:
        yield from reading.records()
        report = reading.report
    if report.rows_refused:
        err_console.print(
            f"{report.rows_refused} rows of {path.name} were refused: check them with ctdx import --dry-run"
        )


@app.command("secret")
def new_secret(out: Path = typer.Argument(..., help="Where to write the new linkage secret.")) -> None:
    """Create the linkage secret. One organisation creates it and hands it to the others, never to the hub."""
    with cli_errors():
        secret = LinkageSecret.generate()
        write_private(out, (secret.to_text() + "\n").encode())
    console.print(f"created {out} (fingerprint {secret.fingerprint}); share it with contributing organisations only")


@app.command("signing-key")
def new_signing_key(
    out: Path = typer.Argument(..., help="Where to write the organisation's private signing key."),
) -> None:
    """Create the organisation's Ed25519 signing key and print the public key to register at the hub."""
    with cli_errors():
        key = generate_signing_key()
        write_private(out, signing_key_to_pem(key))
    console.print(f"created {out}; register this public key at the hub:", highlight=False)
    typer.echo(public_key_text(key))


def _from_store(
    database: str | None,
    organisation: str,
    hub: str,
    user: str | None,
    secret: LinkageSecret,
    key_pem: bytes,
    one_record_per_person: bool,
    config: EncodingConfig,
) -> ContributionReport:
    from ctdx.casework.actors import casework_session
    from ctdx.linkage.store_contribution import contribute_from_store
    from ctdx.settings import load_settings
    from ctdx.store import open_store

    key = load_signing_key(key_pem)
    system = None if user is not None else SYSTEM
    with (
        open_store(load_settings().with_database(database)) as store,
        casework_session(store, user=user, system=system, organisation=organisation) as ctx,
    ):
        return contribute_from_store(
            ctx, hub, secret=secret, signing_key=key, one_record_per_person=one_record_per_person, config=config
        )


@app.command("build")
def build(
    organisation: str = typer.Option(..., "--organisation", help="The organisation's code, as registered at the hub."),
    hub: str = typer.Option(..., "--hub", help="The hub's id: the recipient the data-sharing consents name."),
    secret_file: Path = typer.Option(..., "--secret", help="The linkage secret file."),
    key_file: Path = typer.Option(..., "--signing-key", help="The organisation's signing key file."),
    out: Path = typer.Option(..., "--out", help="Where to write the package (never overwritten)."),
    database: str | None = typer.Option(
        None, "--database", help="SQLAlchemy URL of the organisation's store (default: CTDX_DATABASE_URL)."
    ),
    user: str | None = typer.Option(
        None, "--user", help=f"Act as this user of the store (default: the system process {SYSTEM!r})."
    ),
    from_file: Path | None = typer.Option(
        None, "--from-file", help="Build from a case file (CSV, XLSX, ODS, JSON Lines ...) instead of the store."
    ),
    consented_file: Path | None = typer.Option(
        None, "--consented", help="With --from-file: the record ids whose consent allows sharing, one a line."
    ),
    one_record_per_person: bool = typer.Option(
        False,
        "--one-record-per-person",
        help="Declare, in the signed package, that these cases hold at most one record per person (e.g. after "
        "merging duplicates found by `ctdx contribute duplicates`); the hub then never joins two of them. "
        "Default: not declared.",
    ),
    salt: str = typer.Option(
        DEFAULT_ENCODING_CONFIG.salt,
        "--salt",
        help="Salt the name filters with each record's full birth date (birth-date) or not (none). Every "
        "organisation of a hub must choose the same: the hub refuses a package encoded otherwise than its "
        "first. A record without a full birth date then carries no given or family name filter. "
        f"Default: {DEFAULT_ENCODING_CONFIG.salt}.",
    ),
    refs_out: Path | None = typer.Option(
        None,
        "--refs-out",
        help="Also write, for the organisation only, each included case's reference at the hub beside its "
        "source id (CSV: case_ref, system, record_id): what joins `ctdx hub persons` back to its cases.",
    ),
) -> None:
    """Build a signed package of the organisation's cases whose consent allows sharing with the hub.

    From the store (default), a case goes in when a current data_sharing consent names the hub or no
    recipient (`ctdx case consent grant ... --purpose data_sharing`); every other case is listed as withdrawn
    so the hub deletes an earlier version. Each decrypted case and the export are audited in the store.
    """
    with cli_errors():
        config = encoding_config(salt)
        secret = LinkageSecret.from_text(read_file(secret_file).decode("ascii", "replace"))
        key_pem = read_file(key_file)
        for path in (out, refs_out):
            if path is not None and path.exists():
                raise InputFileError("the file exists already; it is never overwritten", path=str(path))
        if from_file is None:
            if consented_file is not None:
                raise ValidationError("--consented goes with --from-file: the store records consent", field="consented")
            report = _from_store(database, organisation, hub, user, secret, key_pem, one_record_per_person, config)
        else:
            if consented_file is None:
                raise ValidationError("--from-file needs --consented: which cases may be shared", field="consented")
            consented = {line.strip() for line in read_file(consented_file).decode().splitlines() if line.strip()}
            report = build_contribution(
                organisation,
                _cases(from_file),
                secret=secret,
                signing_key=load_signing_key(key_pem),
                consented=lambda case: case.source.record_id in consented,
                config=config,
                one_record_per_person=one_record_per_person,
            )
        write_private(out, report.package)
        if refs_out is not None:
            write_private(refs_out, _references(secret, organisation, report))
    for problem in report.problems:
        err_console.print(f"left out {problem.case}: {problem.field}: {problem.message}", highlight=False)
    console.print(
        f"wrote {out} for {hub}: {report.included} cases, {report.withdrawn} without a data-sharing consent "
        f"(listed as withdrawn), {len(report.problems)} left out; "
        f"{'declared' if report.one_record_per_person else 'not declared'}: one record per person; "
        f"name salt: {config.salt}",
        highlight=False,
    )


def _references(secret: LinkageSecret, organisation: str, report: ContributionReport) -> bytes:
    """The CSV of ``--refs-out``: each included case's reference at the hub and its source id."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["case_ref", "system", "record_id"])
    writer.writerows(
        (case_reference(secret, organisation, source), source.system, source.record_id)
        for source in report.included_sources
    )
    return text.getvalue().encode("utf-8")


def encoding_config(salt: str) -> EncodingConfig:
    """The encoding config of a ``--salt`` choice; the birth-year salt is for measurement only (its cells are
    whole birth years: ``ctdx.linkage.encoding``)."""
    for choice in ("none", "birth-date"):
        if salt == choice:
            return replace(DEFAULT_ENCODING_CONFIG, salt=choice)
    raise ValidationError("the name salt must be none or birth-date", field="salt")


@app.command("duplicates")
def duplicates(
    cases_file: Path = typer.Argument(..., help="Case file (CSV, XLSX, ODS, JSON Lines ...)."),
    threshold: float = THRESHOLD,
    twins: str = TWINS,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Find the organisation's own duplicate cases (plaintext mode: nothing leaves the machine)."""
    from ctdx.linkage.clustering import ClusteringConfig
    from ctdx.linkage.linking import deduplicate_cases
    from ctdx.linkage.scoring import ScoringConfig, twin_policy

    with cli_errors():
        scoring = ScoringConfig(mode="plaintext", twins=twin_policy(twins))
        result = deduplicate_cases(list(_cases(cases_file)), ClusteringConfig(threshold=threshold), scoring)
    if as_json:
        typer.echo(json.dumps({**result.summary(), "persons": result.persons}, indent=1, sort_keys=True))
        return
    print_linkage_result(result)
    groups: dict[str, list[str]] = {}
    for record, person in sorted(result.persons.items()):
        groups.setdefault(person, []).append(record)
    for person, records in sorted(groups.items()):
        if len(records) > 1:
            console.print(f"  {person}: {', '.join(records)}", highlight=False)
