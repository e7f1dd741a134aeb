"""``ctdx sample``: write a realistic, seeded sample cohort with its ground truth."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ctdx.cli.console import cli_errors, console, err_console
from ctdx.errors import ValidationError
from ctdx.sample import FORMATS, default_workers, generate_cohort, write_cohort


def sample_command(
    cases: int = typer.Option(10_000, "--cases", "-n", help="Number of case records to write."),
    orgs: int = typer.Option(3, "--orgs", "-k", help="Number of organisations (one file each)."),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed: the same seed writes byte-identical files."),
    out: Path = typer.Option(..., "--out", "-o", help="Directory to create (must not exist, or be empty)."),
    fmt: str = typer.Option("csv", "--format", "-f", help="csv (native ctdx CSV) or jsonl (JSON Lines)."),
    workers: int = typer.Option(0, "--workers", help="Worker processes; 0 = one per core for large cohorts."),
) -> None:
    """Generate a realistic sample cohort: synthetic people whose figures follow published CTDC data.

    Writes DIR/<org>.csv (or .jsonl) per organisation, DIR/truth.csv (which records are the same person),
    DIR/organisations.json and DIR/manifest.json.
    """
    with cli_errors():
        if fmt not in FORMATS:
            raise ValidationError(f"--format must be one of {', '.join(FORMATS)}", field="format")
        cohort = generate_cohort(cases, orgs, seed)
        with Progress(
            TextColumn("[bold]sample[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as progress:
            task = progress.add_task("records", total=cases)
            manifest = write_cohort(
                cohort,
                out,
                "csv" if fmt == "csv" else "jsonl",
                workers=workers or default_workers(cases),
                progress=lambda n: progress.advance(task, n),
            )
        console.print(
            f"wrote {manifest['cases']:,} records of {manifest['persons']:,} people "
            f"({manifest['repeat_records']:,} repeat records) for {manifest['organisations']} organisations "
            f"to {out}"
        )
