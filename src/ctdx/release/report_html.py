"""The human-readable report of a release: the JSON report rendered as one self-contained HTML page.

No script and no external asset (the page must open offline and in a locked-down browser); the charts are
inline SVG (bars, and attack risks with their 95 % intervals). Every value is escaped. The page holds only
what ``report.json`` holds: parameters, counts of rows and cells, privacy spent, and the coarse utility and
risk scores, never a row of data nor a count of a source combination.
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


def _interval(label: str, value: float, low: float, high: float, width: int = 360, limit: float = 0.05) -> str:
    """A risk in [0, 1] with its 95 % interval; the dashed line marks ``limit``."""

    def x(v: float) -> float:
        return max(0.0, min(1.0, v)) * width

    return (
        f'<svg width="{width + 10}" height="22" role="img" aria-label="{escape(label)}">'
        f'<rect x="0" y="10" width="{width}" height="2" fill="#e6e6e6"/>'
        f'<line x1="{x(limit):.1f}" y1="2" x2="{x(limit):.1f}" y2="20" stroke="#b03030" stroke-dasharray="3,2"/>'
        f'<rect x="{x(low):.1f}" y="6" width="{max(x(high) - x(low), 1.0):.1f}" height="10" fill="#9fc3de"/>'
        f'<circle cx="{x(value):.1f}" cy="11" r="4" fill="#2f6f9f"/></svg>'
    )


def _utility_rows(title: str, part: dict[str, Any]) -> str:
    rows = [
        ("rows (source / release)", f"{part['rows_source']} / {part['rows_release']}"),
    ]
    if "k_marginal" in part:
        rows.append(("k-marginal (0-1000, 1000 = identical 2-way marginals)", f"{part['k_marginal']:.0f}"))
    if "three_way_tvd" in part:
        rows.append(("3-way workload TVD (0 = identical)", f"{part['three_way_tvd']:.4f}"))
    for group, shares in part["flag_shares"].items():
        rows.append(
            (
                f"{group}: share difference (known records only)",
                f"mean {shares['mean_pp']:.2f} pp, max {shares['max_pp']:.2f} pp",
            )
        )
    lengths = part["combinations"]
    head = (
        "<tr><th>length</th><th>union MAE</th><th>intersection MAE</th><th>fabricated %</th>"
        "<th>suppressed %</th><th></th></tr>"
    )
    body = "".join(
        f"<tr><td>{escape(n)}</td><td>{m['union_mae']:.2f}</td><td>{m['intersection_mae']:.2f}</td>"
        f"<td>{m['fabricated_pct']:.2f}</td><td>{m['suppressed_pct']:.2f}</td>"
        f"<td>{_bar(f'suppressed at length {n}', m['suppressed_pct'], 100, 160)}</td></tr>"
        for n, m in lengths.items()
    )
    return f"<h3>{escape(title)}</h3>" + _table(rows) + f"<table>{head}{body}</table>"


def _utility(report: dict[str, Any]) -> list[str]:
    utility = report.get("utility")
    if not utility:
        return []
    out = [
        "<h2>Utility: how close the released tables are to the source</h2>",
        f"<p>{escape(utility['not_dp'])}</p>",
        f"<p>{escape(utility['denominator_rule'])}</p>",
        f"<p>3-way TVD over at most {utility['three_way_tvd']['max_sets']} column sets drawn with seed "
        f"{utility['three_way_tvd']['seed']}; combination metrics over at most "
        f"{utility['combination_sets_per_length']} column sets per length.</p>",
        _utility_rows(
            "k-anonymous microdata (against the source generalised to the same levels)", utility["microdata"]
        ),
    ]
    if "synthetic" in utility:
        out.append(_utility_rows("Synthetic microdata (against the source)", utility["synthetic"]))
    aggregates = utility["aggregates"]
    out.append(
        f"<p>DP tables: every published cell is within ±{aggregates['error_bound']} of the true count with "
        f"probability {aggregates['error_confidence']:.0%}.</p>"
    )
    return out


def _attack_row(name: str, result: dict[str, Any]) -> str:
    return (
        f"<tr><td>{escape(name)}</td><td>{result['risk']:.3f}</td>"
        f"<td>[{result['risk_low']:.3f}, {result['risk_high']:.3f}]</td>"
        f"<td>{result['main_rate']:.3f} / {result['control_rate']:.3f}</td><td>{int(result['attacks'])}</td>"
        f"<td>{_interval(name, result['risk'], result['risk_low'], result['risk_high'])}</td></tr>"
    )


def _privacy(report: dict[str, Any]) -> list[str]:
    privacy = report.get("privacy")
    if not privacy:
        return []
    spent = privacy["spent"]
    out = [
        "<h2>Privacy: what was spent and what was measured</h2>",
        "<table><tr><th>part</th><th>mechanism</th><th>epsilon charged</th><th>delta charged</th>"
        "<th>epsilon certified</th></tr>"
        + "".join(
            f"<tr><td>{escape(p['name'])}</td><td>{escape(p['mechanism'])}</td><td>{p['epsilon']:.4g}</td>"
            f"<td>{p['delta']:.3g}</td><td>{p['epsilon_achieved']:.4g}</td></tr>"
            for p in spent["parts"]
        )
        + f"<tr><th>total</th><td>{escape(spent['total']['composition'])}</td><td>{spent['total']['epsilon']:.4g}</td>"
        f"<td>{spent['total']['delta']:.3g}</td><td></td></tr></table>",
    ]
    verified = privacy["k_verified"]
    rare = privacy["microdata"]["rare_combinations"]
    out.append(
        _table(
            [
                (
                    "k verified from the written file",
                    f"k = {verified['k']}: smallest class {verified['smallest_class']} "
                    f"({'yes' if verified['ok'] else 'NO'})",
                ),
                (
                    f"source combinations rarer than {rare['below']} shown in the microdata ({rare['over']})",
                    f"{rare['leaked_total']} (must be 0)",
                ),
            ]
        )
    )
    synthetic = privacy.get("synthetic")
    if synthetic:
        copies = synthetic["exact_copies"]["of_source"]
        attacks = synthetic["attacks"]
        split = attacks["control_split"]
        out += [
            "<h3>Synthetic microdata</h3>",
            _table(
                [
                    ("synthetic rows equal to a row unique in the source", f"{copies['copies_of_unique_pct']:.2f} %"),
                    ("unique source rows reproduced", f"{copies['unique_reproduced_pct']:.2f} %"),
                    (
                        "synthetic rows equal to a row unique in the training / control split (chance baseline)",
                        f"{synthetic['exact_copies']['of_training_rows']['copies_of_unique_pct']:.2f} % / "
                        f"{synthetic['exact_copies']['of_control_rows']['copies_of_unique_pct']:.2f} %",
                    ),
                    (
                        "control split",
                        f"{split['holdout']:.0%} of consented records held out of the fit "
                        f"({split['control_rows']} control, {split['training_rows']} training rows); "
                        f"{split['targets']} targets per attack",
                    ),
                ]
            ),
            f"<p>{escape(attacks['method'])}. The dashed line marks a risk of 0.05.</p>",
            "<table><tr><th>attack</th><th>risk</th><th>95 % interval</th><th>success main / control</th>"
            "<th>attacks</th><th></th></tr>"
            + _attack_row("singling out", attacks["singling_out"])
            + _attack_row("linkability", attacks["linkability"])
            + _attack_row(f"inference of {attacks['inference']['worst_secret']} (worst)", attacks["inference"]["worst"])
            + "</table>",
        ]
    return out


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
    sections += _utility(report) + _privacy(report)
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
