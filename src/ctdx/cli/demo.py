"""``ctdx demo``: generate a sample cohort for three organisations, import it, and summarise the store."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ctdx.cli.console import cli_errors, console
from ctdx.demo import DEMO_CASES, DEMO_ORGANISATIONS, DEMO_SEED, DemoSummary, run_demo
from ctdx.demo_release import DemoRelease
from ctdx.settings import load_settings, sqlite_url

DEFAULT_DEMO_DIR = Path("ctdx-demo")


def demo(
    data_dir: Path = typer.Option(DEFAULT_DEMO_DIR, help="Where the demo's database, key and files go."),
    cases: int = typer.Option(DEMO_CASES, min=1, help="How many cases to generate."),
    orgs: int = typer.Option(DEMO_ORGANISATIONS, min=1, max=50, help="How many organisations."),
    seed: int = typer.Option(DEMO_SEED, help="Seed of the generator (same seed, same cohort)."),
    k: int = typer.Option(10, min=2, help="Release: every quasi-identifier combination occurs at least k times."),
    suppression_limit: float = typer.Option(0.05, min=0, max=1, help="Release: largest share of rows suppressed."),
    epsilon: float = typer.Option(1.0, min=0.01, help="Release: epsilon spent by the DP aggregate tables."),
    threshold: int = typer.Option(10, min=0, help="Release: noisy counts below this are not published."),
    epsilon_budget: float = typer.Option(4.0, min=0.01, help="Release: the cohort's total epsilon budget."),
) -> None:
    """Run the whole demo on the embedded SQLite default: generate, import, screen, refer, release."""
    settings = load_settings(
        {"CTDX_DATA_DIR": str(data_dir), "CTDX_DATABASE_URL": sqlite_url(data_dir / "ctdx.sqlite")}
    )
    with cli_errors():
        release = DemoRelease(k, suppression_limit, epsilon, threshold, epsilon_budget)
        summary = run_demo(
            settings, cases=cases, orgs=orgs, seed=seed, release=release, on_step=lambda m: console.print(f"• {m}")
        )
    print_summary(summary)


def _table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> Table:
    table = Table(title=title, title_justify="left")
    for i, column in enumerate(header):
        table.add_column(column, justify="right" if i == len(header) - 1 else "left")
    for row in rows:
        table.add_row(*row)
    return table


def print_summary(summary: DemoSummary, top: int = 10) -> None:
    counts = summary.counts
    if counts is None:
        return
    console.print(f"\n[bold]{counts.total:,} cases in the store[/]")
    console.print(
        _table(
            "Cases by organisation",
            ("organisation", "cases"),
            [(code, f"{n:,}") for code, n in sorted(counts.by_organisation.items())],
        )
    )
    types = sorted(counts.by_exploitation_type.items(), key=lambda kv: -kv[1])
    console.print(_table("Cases by exploitation type", ("type", "cases"), [(t, f"{n:,}") for t, n in types]))
    pairs = sorted(counts.by_country_pair.items(), key=lambda kv: -kv[1])[:top]
    console.print(
        _table(
            f"Top {top} citizenship → country of exploitation",
            ("citizenship", "exploitation", "cases"),
            [(a or "unknown", b or "unknown", f"{n:,}") for (a, b), n in pairs],
        )
    )
    work = summary.casework
    if work is not None:
        console.print(
            _table(
                f"Screening outcomes ({work.screened:,} cases screened from their records)",
                ("continuum class", "cases"),
                [(str(c), f"{n:,}") for c, n in work.outcomes.most_common()],
            )
        )
        console.print(
            _table(
                f"Referrals made with consent ({work.accepted:,} accepted by the receiving organisation)",
                ("service", "referrals"),
                [(s, f"{n:,}") for s, n in work.referrals.most_common()],
            )
        )
        console.print(
            f"referrals refused by the consent gate in this run (no consent recorded): {work.refused_without_consent:,}"
        )
    if summary.release is not None:
        outcome = summary.release
        verdict = "verified" if outcome.verification.ok else f"FAILED {len(outcome.verification.problems)} checks"
        what = "built" if outcome.built_now else "already built"
        console.print(
            f"open-data release {what}: {outcome.path} ({verdict}, {outcome.verification.checks} checks; "
            f"`ctdx release verify {outcome.path}` re-checks it from its files)"
        )
    console.print(f"database: {summary.database_url}")
    console.print(f"encryption key: {summary.key_file} (kept outside the database; back it up, never share it)")
    console.print(f"cohort files and ground truth: {summary.cohort_dir}")
