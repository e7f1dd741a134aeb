"""The human-readable report of a release: the JSON report rendered as one self-contained HTML page.

No script and no external asset (the page must open offline and in a locked-down browser); the two charts
are inline SVG bars. Every value is escaped. The page holds only what ``report.json`` holds: parameters,
counts of rows and cells, and privacy spent, never a row of data.
"""

from __future__ import annotations

from html import escape
from typing import Any

DENOMINATOR_RULE = (
    "Flags are 1 (recorded), 0 (the group was recorded without this value) or empty (the group was not "
    "recorded). Compute a percentage only over the records with a value in the flag's group, and show that "
    "denominator beside it (CTDC's denominator rule); several flags of one group can be 1 for one person."
)


def _bar(label: str, value: float, total: float, width: int = 360) -> str:
    share = 0.0 if total <= 0 else max(0.0, min(1.0, value / total))
    return (
        f'<svg width="{width + 10}" height="22" role="img" aria-label="{escape(label)}">'
        f'<rect x="0" y="4" width="{width}" height="14" fill="#e6e6e6"/>'
        f'<rect x="0" y="4" width="{share * width:.1f}" height="14" fill="#2f6f9f"/></svg>'
    )


def _table(rows: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def render_report(report: dict[str, Any], title: str) -> str:
    """The HTML page of ``report`` (the release's ``report.json``)."""
    kanon, dp, ledger = report["k_anonymity"], report["differential_privacy"], report["ledger"]
    sections = [
        "<h2>What this release guarantees</h2>",
        _table([(part, text) for part, text in report["guarantees"].items()]),
        "<h2>k-anonymous microdata</h2>",
        _table(
            [
                ("k (verified from the written file)", f"{kanon['k']} ({'yes' if kanon['verified']['ok'] else 'NO'})"),
                ("quasi-identifiers", ", ".join(kanon["quasi_identifiers"])),
                (
                    "generalisation levels",
                    ", ".join(
                        f"{q} {lv}/{kanon['hierarchy_heights'][q]}" for q, lv in kanon["generalisation_levels"].items()
                    ),
                ),
                ("rows in / out", f"{kanon['rows_in']} / {kanon['rows_out']}"),
                ("rows with quasi-identifiers suppressed", str(kanon["rows_locally_suppressed"])),
                ("information loss (0 = none, 1 = all)", f"{kanon['information_loss']:.3f}"),
                ("l-diversity", "none" if kanon["l_diversity"] is None else f"l = {kanon['l_diversity']}"),
            ]
        ),
        "<h2>Differentially private tables</h2>",
        _table(
            [
                ("mechanism", dp["mechanism"]),
                ("epsilon, delta", f"{dp['epsilon']:.4g}, {dp['delta']:.3g}"),
                (
                    "error bound per cell",
                    f"±{dp['error_bound']} with probability {dp['error_confidence']:.0%}",
                ),
                ("cells below this are not published", str(dp["threshold"])),
                (
                    "chance that noise alone publishes an empty cell",
                    f"{dp['empty_cell_published_probability']:.2%}",
                ),
            ]
        ),
        "<table><tr><th>table</th><th>cells published of all</th><th></th></tr>"
        + "".join(
            f"<tr><td>{escape(name)}</td><td>{t['published']} of {t['cells']}</td>"
            f"<td>{_bar(name, t['published'], t['cells'])}</td></tr>"
            for name, t in dp["tables"].items()
        )
        + "</table>",
    ]
    if "synthetic" in report:
        synthetic = report["synthetic"]
        sections += [
            "<h2>Synthetic microdata</h2>",
            _table(
                [
                    ("method", synthetic["method"]),
                    ("epsilon, delta", f"{synthetic['epsilon']:.4g}, {synthetic['delta']:.3g}"),
                    ("rows", str(synthetic["rows"])),
                    ("measured pairs", "; ".join(" x ".join(pair) for pair in synthetic["measured_pairs"])),
                ]
            ),
            "<p>Synthetic rows can combine values that no real case has; quote counts from the tables above.</p>",
        ]
    spent, budget = ledger["epsilon_spent_total"], ledger["epsilon_budget"]
    sections += [
        "<h2>Privacy budget of the source dataset</h2>",
        f"<p>{escape(ledger['dataset'])}: epsilon {spent:.4g} spent of {budget:.4g} "
        f"(delta {ledger['delta_spent_total']:.3g} of {ledger['delta_budget']:.3g}), by every release so far.</p>",
        _bar("epsilon spent of the budget", spent, budget),
        "<h2>Reading the flags</h2>",
        f"<p>{escape(DENOMINATOR_RULE)}</p>",
    ]
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:.5em 0}th,td{text-align:left;padding:.2em .8em;"
        "border-bottom:1px solid #ddd;vertical-align:middle}"
    )
    release = report["release"]
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{style}</style></head><body><h1>{escape(title)}</h1>"
        f"<p>Release {escape(release['name'])} {escape(release['version'])}, built by {escape(report['software'])}.</p>"
        + "".join(sections)
        + "</body></html>\n"
    )
