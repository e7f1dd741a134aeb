"""``ctdx hub``: the hub's side of privacy-preserving linkage.

``upgrade`` creates or migrates the hub database (its own Alembic history, never an organisation's store);
``expect-secret`` fixes the fingerprint of the organisations' linkage secret before any package arrives;
``register`` records an organisation's public key; ``receive`` verifies and stores signed packages (a
package that does not verify is refused with the ``integrity`` exit code and nothing is stored); ``link``
counts distinct persons with a range and the overlap between organisations; ``persons`` writes the last
run's person id of each case by its reference; ``attack-check`` measures the hub's exposure to the published
attacks. The hub sees no name and no birth date, so nothing here prints one.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ctdx.cli.console import cli_errors, console
from ctdx.errors import InputFileError, ValidationError
from ctdx.linkage.hub import ARRAYS_FROM, Hub, hub_database_status, safe_url, upgrade_hub_database

if TYPE_CHECKING:
    from ctdx.linkage.linking import LinkageResult

app = typer.Typer(help="Receive contributions and count distinct victims without names.", no_args_is_help=True)

DATABASE = typer.Option(..., "--database", help="SQLAlchemy URL of the hub database (e.g. sqlite:///hub.sqlite).")
THRESHOLD = typer.Option(0.9, "--threshold", help="Match probability at which two cases are the same person.")
TWINS = typer.Option(
    "apart",
    "--twins",
    help="Same family name, a clearly different given name (twins, siblings, or one person under a replaced "
    "given name): 'apart' never merges them; 'learned' lets a trained model weigh them by what it learns from "
    "the data (it then merges twins too) and keeps them apart while the hub is too small to train; "
    "'may-link' lets the score decide.",
)


def write_private(path: Path, data: bytes) -> None:
    """Create ``path`` readable by its owner only; refuse to overwrite."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputFileError("the file exists already; it is never overwritten", path=str(path)) from None
    except OSError as exc:
        raise InputFileError("the file cannot be created", path=str(path), error=exc.strerror) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputFileError("the file cannot be read", path=str(path), error=exc.strerror) from None


@app.command("upgrade")
def upgrade(database: str = DATABASE) -> None:
    """Create the hub database's tables, or migrate them to this version's schema."""
    with cli_errors():
        status = upgrade_hub_database(database)
        where = safe_url(database)
    console.print(f"{where}: hub schema at revision {status.current}", highlight=False)


@app.command("status")
def status(database: str = DATABASE) -> None:
    """Show the hub database's schema revision and whether it needs `ctdx hub upgrade`."""
    with cli_errors():
        state = hub_database_status(database)
        where = safe_url(database)
    verdict = "up to date" if state.up_to_date else "run `ctdx hub upgrade`"
    console.print(f"{where}: hub revision {state.current or '-'} (this ctdx: {state.head}), {verdict}", highlight=False)
    if not state.up_to_date:
        raise typer.Exit(1)


@app.command("expect-secret")
def expect_secret(
    fingerprint: str = typer.Argument(..., help="The fingerprint ctdx contribute secret printed (16 hex digits)."),
    database: str = DATABASE,
) -> None:
    """Accept only packages encoded under the secret with this fingerprint (the hub never sees the secret)."""
    with cli_errors(), Hub(database) as hub:
        hub.expect_secret(fingerprint)
    console.print(f"the hub accepts packages encoded under secret {fingerprint.strip().lower()} only", highlight=False)


@app.command("register")
def register(
    organisation: str = typer.Argument(..., help="The organisation id."),
    public_key: str = typer.Argument(..., help="Its public key, as printed by ctdx contribute signing-key."),
    database: str = DATABASE,
) -> None:
    """Register an organisation's public key: only packages it signs are accepted."""
    with cli_errors(), Hub(database) as hub:
        hub.register_organisation(organisation, public_key)
    console.print(f"registered {organisation}", highlight=False)


@app.command("receive")
def receive(
    packages: list[Path] = typer.Argument(..., help="Contribution package files."),
    database: str = DATABASE,
) -> None:
    """Verify and store contribution packages; a package whose signature does not verify is refused."""
    with cli_errors(), Hub(database) as hub:
        for path in packages:
            receipt = hub.receive(read_file(path))
            console.print(
                f"{path.name}: from {receipt.organisation}, {receipt.added} added, {receipt.replaced} replaced, "
                f"{receipt.stale} older than the hub's, {receipt.deleted} withdrawn; "
                f"{'declared' if receipt.one_record_per_person else 'not declared'}: one record per person",
                highlight=False,
            )


@app.command("link")
def link_command(
    database: str = DATABASE,
    threshold: float = THRESHOLD,
    twins: str = TWINS,
    arrays: bool | None = typer.Option(
        None,
        "--arrays/--no-arrays",
        help="Link the encodings as packed arrays (vectorised blocking, chunked scoring), or one object per case. "
        f"Default: arrays from {ARRAYS_FROM:,} cases, where they are faster and smaller for the same links.",
    ),
    backend: str = typer.Option(
        "duckdb",
        "--backend",
        help="Where Splink scores: duckdb (in process) or spark (Splink's Spark backend, for hubs that outgrow "
        "one machine; needs the spark extra and Java 17; always links arrays). Default: duckdb.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Link every contributed case into persons and report distinct victims and overlap."""
    from ctdx.linkage.clustering import ClusteringConfig
    from ctdx.linkage.scoring import ScoringConfig, twin_policy

    with cli_errors(), Hub(database) as hub:
        if backend not in ("duckdb", "spark"):
            raise ValidationError("the linkage backend must be duckdb or spark", field="backend")
        scoring = ScoringConfig(mode="privacy", twins=twin_policy(twins))
        result = hub.link(
            scoring,
            ClusteringConfig(threshold=threshold),
            arrays=arrays,
            backend="spark" if backend == "spark" else "duckdb",
        )
    if as_json:
        typer.echo(json.dumps(result.summary(), indent=1, sort_keys=True))
    else:
        print_linkage_result(result)


@app.command("persons")
def persons_command(
    out: Path = typer.Option(..., "--out", help="The CSV to write (never overwritten; readable by you only)."),
    database: str = DATABASE,
    organisation: str | None = typer.Option(
        None, "--organisation", help="Only this organisation's cases: what it joins to its own by reference."
    ),
) -> None:
    """Write the last run's person id of each contributed case, and how many organisations hold that person.

    An organisation joins the file to its own cases by their references (`ctdx contribute build
    --refs-out`). A case received since the last run has no person id yet. What the hub sends back to whom
    is the hub's decision: the count of organisations tells one organisation that others know the person."""
    with cli_errors(), Hub(database) as hub:
        rows = hub.case_persons(organisation)
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["organisation", "case_ref", "person_id", "organisations"])
        writer.writerows((r.organisation, r.case_ref, r.person_id or "", r.organisations) for r in rows)
        write_private(out, text.getvalue().encode("utf-8"))
    unlinked = sum(r.person_id is None for r in rows)
    persons = len({r.person_id for r in rows if r.person_id is not None})
    console.print(f"wrote {out}: {len(rows)} cases, {persons} person ids", highlight=False)
    if unlinked:
        console.print(
            f"  {unlinked} case{'' if unlinked == 1 else 's'} received since the last run "
            f"{'has' if unlinked == 1 else 'have'} no person id yet: run `ctdx hub link`",
            highlight=False,
        )


@app.command("report")
def report_command(
    database: str = DATABASE,
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Show what the hub holds per organisation and what its last run found, without linking again."""
    with cli_errors(), Hub(database) as hub:
        report = hub.report()
    if as_json:
        typer.echo(json.dumps(report.summary(), indent=1, sort_keys=True))
        return
    secret = report.secret_fingerprint or "not set yet (the first package sets it)"
    console.print(
        f"{report.cases} cases from {len(report.holdings)} registered organisations; secret {secret}"
        + ("" if report.salt is None else f"; name salt {report.salt}"),
        highlight=False,
    )
    for h in report.holdings:
        sent = "no package yet" if h.last_package is None else f"latest created {h.last_package:%Y-%m-%d %H:%M} UTC"
        declared = ", declared one record per person" if h.one_record_per_person else ""
        console.print(
            f"  {h.organisation}: {h.cases} cases, {h.packages} package{'' if h.packages == 1 else 's'} ({sent})"
            f"{declared}",
            highlight=False,
        )
    run = report.last_run
    if run is None or report.last_run_at is None:
        console.print("not linked yet: run `ctdx hub link`", highlight=False)
        return
    low, high = run["distinct_persons_range"]
    console.print(
        f"last linked {report.last_run_at:%Y-%m-%d %H:%M} UTC: {run['records']} cases, {run['distinct_persons']} "
        f"distinct persons (range {low}-{high})" + (f", linked as {run['path']}" if "path" in run else ""),
        highlight=False,
    )
    if report.stale:
        console.print(
            f"  {report.packages_since_run} package{'' if report.packages_since_run == 1 else 's'} received since: "
            "these figures predate them; run `ctdx hub link`",
            highlight=False,
        )


@app.command("attack-check")
def attack_check_command(
    names_file: Path = typer.Option(..., "--names", help="Public name list: name,count per line."),
    database: str = DATABASE,
    records: int | None = typer.Option(
        None,
        "--records",
        help="Simulated people to attack (default: as many as the hub holds, from 2,000 to 10,000).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Run the frequency and pattern-mining attacks on every stored name field and report how many people
    they re-identify, beside a blind guess."""
    from ctdx.linkage.attacks import attack_check, attacked_fields, read_name_list, simulated_people

    with cli_errors(), Hub(database) as hub:
        names = read_name_list(read_file(names_file).decode("utf-8", "replace"))
        stored = {name: hub.field_encodings(name) for name in attacked_fields(hub.config)}
        total = hub.case_count()
        # The simulated people lack a birth date as often as the hub's cases do.
        missing = 1 - len(hub.field_encodings("birth")) / total if total else 0.0
        people = simulated_people(total, records)
        report = attack_check(names, stored, records=people, config=hub.encoding_config(), missing_birth=missing)
    if as_json:
        typer.echo(json.dumps(report.summary(), indent=1, sort_keys=True))
        return
    lines = [
        f"{report.records} simulated people from {report.names} public names "
        f"({report.missing_birth:.0%} without a birth date, as at the hub), encoded as the hub's packages "
        f"(name salt: {report.salt}); re-identified per name field:"
    ]
    for name, rates in report.fields.items():
        plain = report.unhardened_fields[name]
        lines.append(
            f"  {name}: frequency {rates.frequency:.1%}, pattern mining {rates.pattern_mining:.1%}, "
            f"a blind guess {rates.guess:.1%}, leaked beyond the guess {rates.excess:.1%} "
            f"(unhardened {plain.excess:.1%})"
        )
    lines.append(
        f"  the hub's {report.hub_records} stored encodings"
        + ("" if report.hub_grouped >= report.hub_records else f" (a random {report.hub_grouped:,} of them grouped)")
        + ": largest near-identical group "
        f"{report.hub_largest_group_share:.1%}, ten largest {report.hub_top10_group_share:.1%}"
    )
    if report.records < total:
        lines.append(
            f"  the hub holds {total:,} cases, more than the {report.records:,} simulated people: the frequency "
            f"attack grows stronger with the population, so these rates may be low; --records {total} "
            "attacks as many (slower)"
        )
    console.print("\n".join(lines), highlight=False)


def print_linkage_result(result: LinkageResult) -> None:
    count = result.count
    low, high = count.persons_range
    console.print(
        f"{result.records} cases, {count.persons} distinct persons (range {low}-{high}), "
        f"{result.links} links among {result.candidate_pairs} scored pairs, {result.mode} mode, "
        f"{'trained' if result.trained else 'default'} model, linked as {result.path}",
        highlight=False,
    )
    if result.default_because is not None:
        console.print(
            f"  the default model's probabilities are judgement, not fitted ({result.default_because}): "
            "the count is the person ids",
            highlight=False,
        )
    if count.expected is not None:
        console.print(
            f"  the count is expected from the match probabilities; {count.estimate} person ids join cases by "
            "confident links only",
            highlight=False,
        )
    console.print(
        "  the range is the linking's spread under this model (95 %, widened for pairs never scored); the "
        "model's own error is not in it",
        highlight=False,
    )
    kept = "kept apart" if result.twins_cannot_link else "weighed by the model"
    console.print(f"  twin policy {result.twins}: look-alike twins {kept}", highlight=False)
    if result.salt is not None:
        console.print(f"  name salt of the packages: {result.salt}", highlight=False)
    if result.count.unscored_pairs:
        console.print(
            f"  the range's low end allows {result.count.unscored_pairs:.0f} true pairs the model expects "
            "but never scored",
            highlight=False,
        )
    for org, row in result.organisation_rows().items():
        declared = ", declared one record per person" if org in result.one_record_per_person else ""
        if "expected_persons" in row:
            held = (
                f"about {row['expected_persons']:.0f} persons ({row['persons']} person ids), about "
                f"{row['expected_shared_persons']:.0f} also known elsewhere ({row['shared_persons']} by confident "
                "links)"
            )
        else:
            held = f"{row['persons']} persons, {row['shared_persons']} also known elsewhere"
        console.print(f"  {org}: {row['cases']} cases, {held}{declared}", highlight=False)
    for row in result.overlap_rows():
        a, b = row["organisations"]
        if "expected_persons" in row:
            shared = f"about {row['expected_persons']:.0f} persons (expected; {row['persons']} by confident links)"
        else:
            shared = f"{row['persons']} person{'' if row['persons'] == 1 else 's'}"
        console.print(f"  {a} and {b} share {shared}", highlight=False)
