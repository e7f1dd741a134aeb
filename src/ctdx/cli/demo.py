"""``ctdx demo``: the whole pipeline on a generated cohort (see ``ctdx.demo``), then, with ``--serve``, the apps."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path

import typer
from rich.table import Table

from ctdx.cli.console import cli_errors, console
from ctdx.demo import DEMO_CASES, DEMO_ORGANISATIONS, DEMO_SEED, DemoSummary, run_demo
from ctdx.demo_release import DemoRelease
from ctdx.settings import Settings, load_settings, sqlite_url

DEFAULT_DEMO_DIR = Path("ctdx-demo")


def demo(
    data_dir: Path = typer.Option(DEFAULT_DEMO_DIR, help="Where the demo's database, key and files go."),
    cases: int = typer.Option(DEMO_CASES, min=1, help="How many cases to generate."),
    orgs: int = typer.Option(DEMO_ORGANISATIONS, min=1, max=50, help="How many organisations."),
    seed: int = typer.Option(DEMO_SEED, help="Seed of the generator (same seed, same cohort)."),
    k: int = typer.Option(10, min=2, help="Release: every quasi-identifier combination occurs at least k times."),
    suppression_limit: float = typer.Option(0.05, min=0, max=1, help="Release: largest share of rows suppressed."),
    epsilon: float = typer.Option(2.0, min=0.01, help="Release: epsilon spent by the DP aggregate tables."),
    threshold: int = typer.Option(15, min=0, help="Release: noisy counts below this are not published."),
    epsilon_budget: float = typer.Option(4.0, min=0.01, help="Release: the cohort's total epsilon budget."),
    serve: bool = typer.Option(False, "--serve", help="End by serving the case-worker app and the portal."),
    port: int = typer.Option(8000, help="With --serve: port of the case-worker application."),
    portal_port: int = typer.Option(8100, help="With --serve: port of the public portal."),
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
    if serve:
        serve_demo(settings, summary, port=port, portal_port=portal_port)


def _accounts(settings: Settings, org_codes: list[str]) -> list[dict[str, str]]:
    """The demo accounts, created on the first run; their passwords kept in a 0600 file of the demo directory."""
    from ctdx.store import open_store
    from ctdx.web import demo_accounts

    path = settings.data_dir / "demo-accounts.json"
    known: list[dict[str, str]] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    with open_store(settings) as store:
        created = demo_accounts(store, org_codes)
    if created:
        known += [dataclasses.asdict(account) for account in created]
        path.touch(mode=0o600)
        path.write_text(json.dumps(known, indent=1), encoding="utf-8")
    return known


def serve_demo(settings: Settings, summary: DemoSummary, *, port: int, portal_port: int) -> None:
    """Serve the case-worker application (main thread) and the portal over the demo release (a thread)."""
    import uvicorn

    from ctdx.portal import create_app as portal_app
    from ctdx.store import open_store
    from ctdx.web import create_app

    codes = list(summary.imports)
    with cli_errors():
        accounts = _accounts(settings, codes)
        store = open_store(settings)
    console.print(
        _table(
            "Demo accounts (demo only: their passwords are in demo-accounts.json of the demo directory)",
            ("organisation", "user", "role", "password"),
            [(a["organisation"], a["username"], a["role"], a["password"]) for a in accounts],
        )
    )
    if summary.release is not None:
        with cli_errors():
            portal = uvicorn.Server(
                uvicorn.Config(
                    portal_app([summary.release.path]), host="127.0.0.1", port=portal_port, log_level="warning"
                )
            )
        threading.Thread(target=portal.run, name="portal", daemon=True).start()
        console.print(f"public portal (release files only): http://127.0.0.1:{portal_port}/")
    console.print(f"case-worker application: http://127.0.0.1:{port}/  (Ctrl-C stops both)")
    try:
        uvicorn.run(create_app(store, settings.data_dir), host="127.0.0.1", port=port, access_log=False)
    finally:
        store.close()


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
    if summary.linkage is not None:
        for line in summary.linkage.lines():
            console.print(line, highlight=False)
    if summary.release is not None:
        outcome = summary.release
        verdict = "verified" if outcome.verification.ok else f"FAILED {len(outcome.verification.problems)} checks"
        what = "built" if outcome.built_now else "already built"
        console.print(
            f"open-data release {what}: {outcome.path} ({verdict}, {outcome.verification.checks} checks; "
            f"`ctdx release verify {outcome.path} --key-file {summary.key_file}` re-checks it from its files)"
        )
    console.print(f"database: {summary.database_url}")
    console.print(f"encryption key: {summary.key_file} (kept outside the database; back it up, never share it)")
    console.print(f"cohort files and ground truth: {summary.cohort_dir}")
