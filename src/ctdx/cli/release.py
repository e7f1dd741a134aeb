"""``ctdx release``: open the privacy-loss ledger of a dataset, build a release, verify one from its files.

The ledger is chained with a key of the hub's keyring, read like every ctdx key: ``--key-file``, else
``CTDX_KEY`` (the keyring's JSON), else ``CTDX_KEY_FILE`` (default ``<data dir>/keys/ctdx.key``); without it
``ledger-init``, ``build`` and ``verify`` stop with the ``encryption_key`` error (exit 3)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ctdx.cli.console import cli_errors, console, err_console
from ctdx.store.keyring import Keyring

KEY_FILE_HELP = "The hub's key file the ledger is chained with (default: CTDX_KEY, then CTDX_KEY_FILE)."


def _keyring(key_file: Path | None) -> Keyring:
    from dataclasses import replace

    from ctdx.settings import load_settings
    from ctdx.store.keyring import load_keyring

    settings = load_settings()
    return load_keyring(settings if key_file is None else replace(settings, key_file=key_file, key_text=None))


app = typer.Typer(help="Open-data releases: k-anonymous microdata and DP aggregate tables.", no_args_is_help=True)


@app.command("ledger-init")
def ledger_init(
    path: Path = typer.Argument(..., help="The ledger file to create."),
    dataset: str = typer.Option(..., help="The source dataset this ledger accounts for."),
    epsilon_budget: float = typer.Option(..., help="Total epsilon all releases of the dataset may spend."),
    delta_budget: float = typer.Option(..., help="Total delta all releases of the dataset may spend."),
    key_file: Path | None = typer.Option(None, "--key-file", help=KEY_FILE_HELP),
) -> None:
    """Create the privacy-loss ledger of a source dataset."""
    from ctdx.privacy.ledger import create_ledger

    with cli_errors():
        ledger = create_ledger(
            path,
            dataset=dataset,
            epsilon_budget=epsilon_budget,
            delta_budget=delta_budget,
            keyring=_keyring(key_file),
        )
    console.print(
        f"ledger for {ledger.dataset}: budget epsilon {ledger.epsilon_budget:g}, delta {ledger.delta_budget:g}"
    )


@app.command("sample-table")
def sample_table(
    out: Path = typer.Argument(..., help="The CSV to write (publication columns of consented cases)."),
    cases: int = typer.Option(..., help="Records in the generated sample cohort."),
    seed: int = typer.Option(..., help="Seed of the cohort (the same seed gives the same cases)."),
    orgs: int = typer.Option(3, help="Organisations in the cohort."),
    first_year: int = typer.Option(..., help="First registration year the release covers."),
    last_year: int = typer.Option(..., help="Last registration year the release covers."),
) -> None:
    """Write the publication table of a generated sample cohort, for demonstrations and benchmarks."""
    from ctdx.privacy.publication import checkbox_consent
    from ctdx.privacy.schema import load_publication_schema
    from ctdx.release.build import write_publication
    from ctdx.sample import generate_cohort

    with cli_errors():
        schema = load_publication_schema(first_year=first_year, last_year=last_year)
        records = generate_cohort(cases, orgs, seed).records()
        publication = write_publication(out, records, schema, consent=checkbox_consent)
    console.print(
        f"{len(publication.table)} consented cases written to {out} "
        f"({publication.without_consent} left out for want of consent)"
    )


@app.command("build")
def build(
    table: Path = typer.Argument(..., help="CSV of publication columns (header = column names)."),
    out: Path = typer.Option(..., "--out", help="Empty directory to write the release into."),
    ledger: Path = typer.Option(..., help="The dataset's privacy-loss ledger (see ledger-init)."),
    name: str = typer.Option(..., help="Package name: lower-case letters, digits, '.', '-', '_'."),
    version: str = typer.Option(..., help="Semantic version of this release (MAJOR.MINOR.PATCH)."),
    title: str = typer.Option(..., help="Human title of the release."),
    first_year: int = typer.Option(..., help="First registration year the release covers."),
    last_year: int = typer.Option(..., help="Last registration year the release covers."),
    k: int = typer.Option(..., help="Every quasi-identifier combination occurs at least k times."),
    suppression_limit: float = typer.Option(..., help="Largest share of rows (0-1) that may be suppressed."),
    epsilon: float = typer.Option(..., help="Epsilon spent by the aggregate tables."),
    delta: float = typer.Option(..., help="Delta spent (0 = discrete Laplace, >0 = discrete Gaussian)."),
    threshold: int = typer.Option(..., help="Noisy counts below this are not published."),
    qi: list[str] = typer.Option(
        [], "--qi", help="A quasi-identifier column (repeat; default: demographics and exploitation types)."
    ),
    sensitive: list[str] = typer.Option([], "--sensitive", help="A sensitive column for l-diversity (repeat)."),
    l_diversity: int | None = typer.Option(None, help="Require l distinct sensitive values per class."),
    microdata_column: list[str] = typer.Option(
        [], "--microdata-column", help="Also publish this column, not a quasi-identifier, in the microdata (repeat)."
    ),
    breakdown: list[str] = typer.Option([], "--breakdown", help="An aggregate table to publish (repeat; default all)."),
    source: list[str] = typer.Option([], "--source", help="A source of the data, as its title (repeat)."),
    contributor: list[str] = typer.Option([], "--contributor", help="A contributor, as a name (repeat)."),
    citation: str = typer.Option("", help="How to cite the release (default: title and version)."),
    change: list[str] = typer.Option([], "--change", help="A line of this version's changelog (repeat)."),
    synthetic_epsilon: float | None = typer.Option(None, help="Also publish DP synthetic microdata at this epsilon."),
    synthetic_delta: float | None = typer.Option(None, help="Delta of the synthetic microdata (with its epsilon)."),
    seed: int | None = typer.Option(
        None, help="Seed of the synthetic sampling, control split and attacks (the noise is never seeded)."
    ),
    holdout: float | None = typer.Option(
        None, help="With synthetic microdata: share of consented records held out of the fit for the attacks."
    ),
    attack_targets: int | None = typer.Option(
        None, help="With synthetic microdata: most control records each privacy attack targets."
    ),
    key_file: Path | None = typer.Option(None, "--key-file", help=KEY_FILE_HELP),
    override_by: str | None = typer.Option(None, help="Who overrides a refusal for going over budget."),
    override_reason: str | None = typer.Option(None, help="Why the budget is overridden."),
) -> None:
    """Build a release: k-anonymous microdata, DP aggregate tables, a report, and the spend in the ledger."""
    from ctdx.privacy.aggregates import select_breakdowns
    from ctdx.privacy.ledger import Override
    from ctdx.privacy.schema import load_publication_schema
    from ctdx.release.build import DEFAULT_QUASI_IDENTIFIERS, ReleaseConfig, build_release, read_table

    with cli_errors():
        schema = load_publication_schema(first_year=first_year, last_year=last_year)
        config = ReleaseConfig(
            name=name,
            version=version,
            title=title,
            k=k,
            suppression_limit=suppression_limit,
            quasi_identifiers=tuple(qi) or DEFAULT_QUASI_IDENTIFIERS,
            epsilon=epsilon,
            delta=delta,
            threshold=threshold,
            breakdowns=select_breakdowns(breakdown),
            sensitive=tuple(sensitive),
            l_diversity=l_diversity,
            extra_microdata_columns=tuple(microdata_column),
            sources=tuple({"title": title} for title in source),
            contributors=tuple({"title": name, "roles": ["contributor"]} for name in contributor),
            citation=citation,
            changes=tuple(change),
            synthetic_epsilon=synthetic_epsilon,
            synthetic_delta=synthetic_delta,
            seed=seed,
            holdout=holdout,
            attack_targets=attack_targets,
        )
        override = Override(override_by or "", override_reason or "") if override_by or override_reason else None
        built = build_release(
            out, read_table(table, schema), config, ledger=ledger, keyring=_keyring(key_file), override=override
        )
    kanon, privacy = built.report["k_anonymity"], built.report["differential_privacy"]
    console.print(
        f"release {name} {version} in {out}: {built.microdata_rows} rows at k={kanon['k']} "
        f"({kanon['rows_locally_suppressed']} suppressed, loss {kanon['information_loss']:.3f}); "
        f"aggregates at epsilon {privacy['epsilon']:.4g}, delta {privacy['delta']:.3g}, "
        f"error bound {privacy['error_bound']} at {privacy['error_confidence']:.0%}"
    )


@app.command("verify")
def verify(
    directory: Path = typer.Argument(..., help="The release directory."),
    key_file: Path | None = typer.Option(None, "--key-file", help=KEY_FILE_HELP),
) -> None:
    """Re-check every guarantee of a release from its files and the ledger key; exit 4 if any fails, 3 without
    the key."""
    from ctdx.release.verify import verify_release

    with cli_errors():
        result = verify_release(directory, _keyring(key_file))
    for problem in result.problems:
        err_console.print(
            f"[red]FAIL[/] {escape(problem.where)} {escape(f'[{problem.code}]')}: {escape(problem.message)}",
            highlight=False,
        )
    if not result.ok:
        raise typer.Exit(4)
    console.print(f"OK: {result.checks} checks passed for {directory}")


@app.command("diff")
def diff(
    before: Path = typer.Argument(..., help="The earlier release directory."),
    after: Path = typer.Argument(..., help="The later release directory."),
) -> None:
    """Show what changed between two releases: parameters, resources, rows and aggregate cells."""
    from rich.table import Table

    from ctdx.release.diff import diff_releases

    with cli_errors():
        result = diff_releases(before, after)
    console.print(f"{escape(result.before)} -> {escape(result.after)}")
    for key, (old, new) in result.parameters.items():
        console.print(f"  {key}: {escape(str(old))} -> {escape(str(new))}")
    table = Table()
    for column in ("resource", "rows before", "rows after", "cells added", "cells removed", "cells changed"):
        table.add_column(column)
    for change in result.resources:
        table.add_row(
            change.name,
            "-" if change.rows_before is None else str(change.rows_before),
            "-" if change.rows_after is None else str(change.rows_after),
            str(change.cells_added),
            str(change.cells_removed),
            str(change.cells_changed),
        )
    console.print(table)
