"""``ctdx contribute`` (an organisation's side) and ``ctdx hub`` (the hub's side) of privacy-preserving linkage."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import typer

from ctdx.cli.console import cli_errors, console, err_console
from ctdx.errors import InputFileError
from ctdx.linkage.attacks import ATTACKED_FIELD, attack_check, read_name_list
from ctdx.linkage.clustering import ClusteringConfig
from ctdx.linkage.contribution import (
    build_contribution,
    generate_signing_key,
    load_signing_key,
    public_key_text,
    signing_key_to_pem,
)
from ctdx.linkage.encoding import LinkageSecret
from ctdx.linkage.hub import Hub
from ctdx.linkage.linking import LinkageResult, deduplicate_cases
from ctdx.model.records import CaseRecord

contribute_app = typer.Typer(
    help="Contribute consented, de-identified cases with linkage encodings to a hub.", no_args_is_help=True
)
hub_app = typer.Typer(help="Receive contributions and count distinct victims without names.", no_args_is_help=True)

DATABASE = typer.Option(..., "--database", help="SQLAlchemy URL of the hub database (e.g. sqlite:///hub.sqlite).")
THRESHOLD = typer.Option(0.9, "--threshold", help="Match probability at which two cases are the same person.")


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` readable by its owner only; refuse to overwrite."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputFileError("the file exists already; it is never overwritten", path=str(path)) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputFileError("the file cannot be read", path=str(path), error=exc.strerror) from None


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


@contribute_app.command("secret")
def new_secret(out: Path = typer.Argument(..., help="Where to write the new linkage secret.")) -> None:
    """Create the linkage secret. One organisation creates it and hands it to the others, never to the hub."""
    with cli_errors():
        secret = LinkageSecret.generate()
        _write_private(out, (secret.to_text() + "\n").encode())
    console.print(f"created {out} (fingerprint {secret.fingerprint}); share it with contributing organisations only")


@contribute_app.command("signing-key")
def new_signing_key(
    out: Path = typer.Argument(..., help="Where to write the organisation's private signing key."),
) -> None:
    """Create the organisation's Ed25519 signing key and print the public key to register at the hub."""
    with cli_errors():
        key = generate_signing_key()
        _write_private(out, signing_key_to_pem(key))
    console.print(f"created {out}; register this public key at the hub:", highlight=False)
    typer.echo(public_key_text(key))


@contribute_app.command("build")
def build(
    cases_file: Path = typer.Argument(..., help="Case file (CSV, XLSX, ODS, JSON Lines ...)."),
    organisation: str = typer.Option(..., "--organisation", help="The organisation id registered at the hub."),
    secret_file: Path = typer.Option(..., "--secret", help="The linkage secret file."),
    key_file: Path = typer.Option(..., "--signing-key", help="The organisation's signing key file."),
    consented_file: Path = typer.Option(
        ..., "--consented", help="Text file of the record ids whose consent allows sharing with the hub, one a line."
    ),
    out: Path = typer.Option(..., "--out", help="Where to write the package."),
) -> None:
    """Build a signed contribution package of the consented cases of a case file."""
    with cli_errors():
        secret = LinkageSecret.from_text(_read(secret_file).decode("ascii", "replace"))
        key = load_signing_key(_read(key_file))
        consented = {line.strip() for line in _read(consented_file).decode().splitlines() if line.strip()}
        report = build_contribution(
            organisation,
            _cases(cases_file),
            secret=secret,
            signing_key=key,
            consented=lambda case: case.source.record_id in consented,
        )
        _write_private(out, report.package)
    for problem in report.problems:
        err_console.print(f"left out {problem.case}: {problem.field}: {problem.message}", highlight=False)
    console.print(
        f"wrote {out}: {report.included} cases, {report.withdrawn} without sharing consent (listed as withdrawn), "
        f"{len(report.problems)} left out",
        highlight=False,
    )


@contribute_app.command("duplicates")
def duplicates(
    cases_file: Path = typer.Argument(..., help="Case file (CSV, XLSX, ODS, JSON Lines ...)."),
    threshold: float = THRESHOLD,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Find the organisation's own duplicate cases (plaintext mode: nothing leaves the machine)."""
    with cli_errors():
        result = deduplicate_cases(list(_cases(cases_file)), ClusteringConfig(threshold=threshold))
    if as_json:
        typer.echo(json.dumps({**result.summary(), "persons": result.persons}, indent=1, sort_keys=True))
        return
    _print_result(result)
    groups: dict[str, list[str]] = {}
    for record, person in sorted(result.persons.items()):
        groups.setdefault(person, []).append(record)
    for person, records in sorted(groups.items()):
        if len(records) > 1:
            console.print(f"  {person}: {', '.join(records)}", highlight=False)


@hub_app.command("register")
def register(
    organisation: str = typer.Argument(..., help="The organisation id."),
    public_key: str = typer.Argument(..., help="Its public key, as printed by ctdx contribute signing-key."),
    database: str = DATABASE,
) -> None:
    """Register an organisation's public key: only packages it signs are accepted."""
    with cli_errors():
        hub = Hub(database)
        hub.register_organisation(organisation, public_key)
    console.print(f"registered {organisation}", highlight=False)


@hub_app.command("receive")
def receive(
    packages: list[Path] = typer.Argument(..., help="Contribution package files."),
    database: str = DATABASE,
) -> None:
    """Verify and store contribution packages; a package whose signature does not verify is refused."""
    with cli_errors():
        hub = Hub(database)
        for path in packages:
            receipt = hub.receive(_read(path))
            console.print(
                f"{path.name}: from {receipt.organisation}, {receipt.added} added, {receipt.replaced} replaced, "
                f"{receipt.stale} older than the hub's, {receipt.deleted} withdrawn",
                highlight=False,
            )


@hub_app.command("link")
def link_command(
    database: str = DATABASE,
    threshold: float = THRESHOLD,
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Link every contributed case into persons and report distinct victims and overlap."""
    with cli_errors():
        result = Hub(database).link(clustering=ClusteringConfig(threshold=threshold))
    if as_json:
        typer.echo(json.dumps(result.summary(), indent=1, sort_keys=True))
    else:
        _print_result(result)


@hub_app.command("attack-check")
def attack_check_command(
    names_file: Path = typer.Option(..., "--names", help="Public name list: name,count per line."),
    database: str = DATABASE,
    records: int = typer.Option(2000, "--records", help="Simulated people to attack."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Run the frequency and pattern-mining attacks and report how many people they re-identify."""
    with cli_errors():
        names = read_name_list(_read(names_file).decode("utf-8", "replace"))
        report = attack_check(names, Hub(database).field_encodings(ATTACKED_FIELD), records=records)
    if as_json:
        typer.echo(json.dumps(report.summary(), indent=1, sort_keys=True))
        return
    hardened, unhardened = report.hardened, report.unhardened
    console.print(
        f"{report.records} simulated people from {report.names} public names, attacking {ATTACKED_FIELD} names:\n"
        f"  frequency attack: {hardened.frequency:.1%} re-identified (unhardened {unhardened.frequency:.1%})\n"
        f"  pattern mining: {hardened.pattern_mining:.1%} re-identified (unhardened {unhardened.pattern_mining:.1%})\n"
        f"  the hub's {report.hub_records} stored encodings: largest near-identical group "
        f"{report.hub_largest_group_share:.1%}, ten largest {report.hub_top10_group_share:.1%}",
        highlight=False,
    )


def _print_result(result: LinkageResult) -> None:
    count = result.count
    console.print(
        f"{result.records} cases, {count.estimate} distinct persons (95% range {count.low}-{count.high}), "
        f"{result.links} links among {result.candidate_pairs} scored pairs, {result.mode} mode, "
        f"{'trained' if result.trained else 'default'} model",
        highlight=False,
    )
    for org, summary in sorted(result.organisations.items()):
        console.print(
            f"  {org}: {summary.cases} cases, {summary.persons} persons, {summary.shared_persons} also known elsewhere",
            highlight=False,
        )
    for (a, b), persons in sorted(result.overlap.items()):
        console.print(f"  {a} and {b} share {persons} persons", highlight=False)
