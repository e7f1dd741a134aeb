"""Building a release: k-anonymous microdata, DP aggregate tables, the spend in the ledger, and the Data Package.

Order matters for safety: the release's privacy loss is written to the (keyed) ledger *before* any noisy
count is drawn (a failure afterwards still counts as spent), split by mechanism; the microdata file is
re-read and checked by the independent checker, and its rows compared with the source for leaked rare
combinations, before anything else is written; a release that fails a check is removed.

Every release carries measured utility and privacy (``ctdx.release.evaluation``): a release with synthetic
microdata holds out ``holdout`` of the consented records from the synthesis fit for the attacks (explicit,
recorded; see that module for why and what is published).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import re
import secrets
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ctdx import __version__
from ctdx.errors import ConflictError, InputFileError, IntegrityError, ValidationError
from ctdx.model import CaseRecord
from ctdx.privacy.aggregates import AggregateRelease, Breakdown, dp_aggregates
from ctdx.privacy.checks import check_k_anonymity
from ctdx.privacy.hierarchies import TOP, build_hierarchy
from ctdx.privacy.kanon import KAnonymousTable, anonymise
from ctdx.privacy.ledger import Entry, Override, Part, load_ledger, spend
from ctdx.privacy.publication import Publication, publish_records
from ctdx.privacy.schema import PublicationSchema, PublicationTable
from ctdx.privacy.synthesis import SyntheticData, synthesise
from ctdx.release.evaluation import (
    Split,
    evaluate_microdata,
    evaluate_synthetic,
    split_for_attacks,
    utility_notes,
)
from ctdx.release.files import canonical_json, sha256_file, write_csv, write_parquet
from ctdx.release.report_html import render_report
from ctdx.store.keyring import Keyring

# The SemVer 2.0.0 grammar (semver.org, "Is there a suggested regular expression").
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
NAME = re.compile(r"^[a-z0-9._-]+$")
PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
CC_BY_4 = {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/", "title": "CC BY 4.0"}
MICRODATA = "microdata"
SYNTHETIC = "synthetic"
REPORT = "report.json"
REPORT_HTML = "report.html"
LEDGER_COPY = "ledger.json"


# The quasi-identifiers an attacker can most easily know about a person (the anchors' choice, benchmarks.md A10).
# By default the microdata hold only quasi-identifiers, so k applies to every published column (CTDC's rule,
# data-standard.md 6.1): the demographics an attacker can know, and the exploitation types a trafficker knows.
DEFAULT_QUASI_IDENTIFIERS = (
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "citizenship",
    "CountryOfExploitation",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
)


@dataclass(frozen=True)
class ReleaseConfig:
    """What a release is and what it must guarantee. Privacy parameters have no defaults."""

    name: str
    version: str
    title: str
    k: int
    suppression_limit: float
    quasi_identifiers: tuple[str, ...]
    epsilon: float
    delta: float
    threshold: int
    breakdowns: tuple[Breakdown, ...]
    sensitive: tuple[str, ...] = ()
    l_diversity: int | None = None
    licenses: tuple[dict[str, str], ...] = (CC_BY_4,)
    sources: tuple[dict[str, str], ...] = ()
    contributors: tuple[dict[str, Any], ...] = ()
    citation: str = ""
    changes: tuple[str, ...] = field(default=())
    extra_microdata_columns: tuple[str, ...] = ()
    synthetic_epsilon: float | None = None
    synthetic_delta: float | None = None
    seed: int | None = None
    holdout: float | None = None
    attack_targets: int | None = None


@dataclass(frozen=True)
class BuiltRelease:
    path: Path
    microdata_rows: int
    report: dict[str, Any]


def read_table(path: Path, schema: PublicationSchema) -> PublicationTable:
    """A publication table from a CSV whose header is the schema's column names."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"cannot read {path.name}: {exc.strerror}", path=str(path)) from None
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise InputFileError(f"{path.name} is empty", path=str(path))
        return PublicationTable.from_rows(schema, header, reader)


def write_publication(
    path: Path, records: Iterable[CaseRecord], schema: PublicationSchema, *, consent: Callable[[CaseRecord], bool]
) -> Publication:
    """Write the publication table of the consented ``records`` to ``path`` (the input of ``build_release``).

    Refuses, writing nothing, when a value could not be published: the error counts the problems by column
    and code (the issues themselves are in the returned publication of a successful call, and never hold
    values)."""
    publication = publish_records(records, schema, consent=consent)
    if publication.issues:
        counts = Counter(f"{i.column} {i.code}" for i in publication.issues)
        summary = ", ".join(f"{what}: {n}" for what, n in sorted(counts.items()))
        raise ValidationError(f"{len(publication.issues)} values cannot be published ({summary})")
    write_csv(path, schema.names, publication.table.rows())
    return publication


def _check(config: ReleaseConfig, out: Path) -> None:
    if not NAME.match(config.name):
        raise ValidationError("a release name uses lower-case letters, digits, '.', '-' and '_' only")
    if not SEMVER.match(config.version):
        raise ValidationError(f"{config.version!r} is not a semantic version (MAJOR.MINOR.PATCH)")
    if (config.synthetic_epsilon is None) != (config.synthetic_delta is None):
        raise ValidationError("synthetic microdata need both their epsilon and their delta")
    if config.synthetic_epsilon is None and (config.holdout is not None or config.attack_targets is not None):
        raise ValidationError("a holdout and attack targets only apply to synthetic microdata")
    if config.synthetic_epsilon is not None:
        if config.holdout is None or not 0 < config.holdout <= 0.5:
            raise ValidationError(
                "synthetic microdata need the share of records held out from the fit for the attacks "
                "(0 < holdout <= 0.5)"
            )
        if config.attack_targets is None or config.attack_targets < 1:
            raise ValidationError("synthetic microdata need the number of attack targets (at least 1)")
    if out.exists() and any(out.iterdir()):
        raise ConflictError(f"{out} already holds files: a release is never written over another", path=str(out))


def _categories(schema: PublicationSchema, name: str, level: int | None) -> list[str]:
    column = schema.column(name)
    if level is None:
        return list(column.categories)
    labels = [v for v in build_hierarchy(column).labels[level] if v != ""]
    return labels if TOP in labels else [*labels, TOP]


def _field(schema: PublicationSchema, name: str, level: int | None) -> dict[str, Any]:
    column = schema.column(name)
    out: dict[str, Any] = {
        "name": name,
        "type": "string",
        "title": column.title,
        "categories": _categories(schema, name, level),
    }
    if level:
        out["description"] = f"generalised to level {level} of the {column.hierarchy} hierarchy"
    return out


def _resource(out: Path, name: str, path: str, fields: list[dict[str, Any]], fmt: str) -> dict[str, Any]:
    file = out / path
    resource: dict[str, Any] = {
        "name": name,
        "type": "table",
        "path": path,
        "format": fmt,
        "mediatype": "text/csv" if fmt == "csv" else "application/vnd.apache.parquet",
        "bytes": file.stat().st_size,
        "hash": "sha256:" + sha256_file(file),
        "schema": {"fields": fields, "missingValues": [""]},
    }
    if fmt == "csv":
        resource["encoding"] = "utf-8"
    return resource


def _write_table(out: Path, stem: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    write_csv(out / f"{stem}.csv", header, rows)
    write_parquet(out / f"{stem}.parquet", header, rows)


def _aggregate_fields(schema: PublicationSchema, breakdown: Breakdown) -> list[dict[str, Any]]:
    fields = [_field(schema, c, None) for c in breakdown.columns]
    fields.append({"name": "count", "type": "integer", "title": "Noisy count (differentially private)"})
    fields.append({"name": "error_bound", "type": "integer", "title": "Error bound of the count"})
    return fields


def _report(
    config: ReleaseConfig,
    micro: KAnonymousTable,
    aggregates: AggregateRelease,
    ledger_path: Path,
    keyring: Keyring,
    check: Any,
) -> dict[str, Any]:
    ledger = load_ledger(ledger_path, keyring)
    return {
        "release": {"name": config.name, "version": config.version},
        "k_anonymity": {
            "k": micro.k,
            "suppression_limit": micro.suppression_limit,
            "quasi_identifiers": list(micro.quasi_identifiers),
            "generalisation_levels": dict(micro.levels),
            "hierarchy_heights": dict(micro.heights),
            "sensitive": list(micro.sensitive),
            "l_diversity": micro.l_diversity,
            "rows_in": micro.rows_in,
            "rows_out": len(micro.rows),
            "rows_locally_suppressed": micro.rows_locally_suppressed,
            "rows_removed": micro.rows_removed,
            "information_loss": micro.information_loss,
            "lattice_nodes": micro.lattice_nodes,
            "nodes_evaluated": micro.nodes_evaluated,
            "verified": {"smallest_class": check.smallest_class, "classes": check.classes, "ok": check.ok},
        },
        "differential_privacy": {
            "mechanism": aggregates.mechanism,
            "epsilon": aggregates.epsilon,
            "delta": aggregates.delta,
            "noise_scale": aggregates.scale,
            "unit_of_privacy": "one case (row)",
            "threshold": aggregates.threshold,
            "error_bound": aggregates.error_bound,
            "error_confidence": aggregates.confidence,
            "empty_cell_published_probability": aggregates.empty_cell_published,
            "tables": {
                t.breakdown.name: {"cells": t.cells, "published": len(t.rows), "suppressed": t.cells_suppressed}
                for t in aggregates.tables
            },
        },
        "ledger": {
            "dataset": ledger.dataset,
            "head": ledger.head,
            "epsilon_spent_total": ledger.epsilon_spent,
            "delta_spent_total": ledger.delta_spent,
            "epsilon_budget": ledger.epsilon_budget,
            "delta_budget": ledger.delta_budget,
            "key_id": ledger.key_id,
            "chain": "HMAC-SHA256 under a key derived from the hub's keyring; verify needs that keyring",
        },
        "guarantees": {
            "microdata": "k-anonymity over the named quasi-identifiers, verified from the written file; not DP",
            "aggregates": "(epsilon, delta)-differential privacy per case, whatever else is known",
            "synthetic": "(epsilon, delta)-differential privacy per case, when present",
        },
        "software": f"ctdx {__version__}",
    }


def _project(micro: KAnonymousTable, columns: Sequence[str]) -> KAnonymousTable:
    """Only ``columns`` of the k-anonymous rows (in table order): a column not named is not published."""
    keep = [i for i, name in enumerate(micro.header) if name in set(columns)]
    rows = tuple(tuple(row[i] for i in keep) for row in micro.rows)
    return dataclasses.replace(micro, header=tuple(micro.header[i] for i in keep), rows=rows)


def build_release(
    out: Path,
    table: PublicationTable,
    config: ReleaseConfig,
    *,
    ledger: Path,
    keyring: Keyring,
    override: Override | None = None,
) -> BuiltRelease:
    """Write the release ``config`` describes for ``table`` into the empty directory ``out``.

    ``keyring`` holds the key the ledger is chained with (the hub's keyring, ``ctdx keys init``)."""
    _check(config, out)
    micro = anonymise(
        table,
        quasi_identifiers=config.quasi_identifiers,
        k=config.k,
        suppression_limit=config.suppression_limit,
        sensitive=config.sensitive,
        l_diversity=config.l_diversity,
    )
    micro = _project(micro, (*config.quasi_identifiers, *config.sensitive, *config.extra_microdata_columns))
    release_id = f"{config.name}@{config.version}"
    mechanism = "discrete_laplace" if config.delta == 0 else "discrete_gaussian"
    parts = [Part("aggregates", mechanism, float(config.epsilon), float(config.delta))]
    if config.synthetic_epsilon is not None and config.synthetic_delta is not None:
        synthetic_mechanism = "discrete_gaussian marginals, noisy-max selection (zCDP)"
        parts.append(
            Part("synthetic", synthetic_mechanism, float(config.synthetic_epsilon), float(config.synthetic_delta))
        )
        mechanism += "; synthetic: " + synthetic_mechanism
    epsilon, delta = sum(p.epsilon for p in parts), sum(p.delta for p in parts)
    # basic composition of the parts, written to the ledger before any noise is drawn
    entry = spend(
        ledger,
        release=release_id,
        epsilon=epsilon,
        delta=delta,
        mechanism=mechanism,
        keyring=keyring,
        override=override,
        parts=tuple(parts),
    )
    aggregates = dp_aggregates(
        table, breakdowns=config.breakdowns, epsilon=config.epsilon, delta=config.delta, threshold=config.threshold
    )
    synthetic = None
    split = None
    if config.synthetic_epsilon is not None and config.synthetic_delta is not None and config.holdout is not None:
        split = split_for_attacks(table, config.holdout, np.random.default_rng(_evaluation_seed(config)))
        synthetic = synthesise(
            split.train,
            epsilon=config.synthetic_epsilon,
            delta=config.synthetic_delta,
            rows=len(table),
            seed=config.seed,
        )
    out.mkdir(parents=True, exist_ok=True)
    try:
        return _write_release(out, table, config, micro, aggregates, synthetic, split, ledger, keyring, entry)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise


def _evaluation_seed(config: ReleaseConfig) -> int:
    """The seed of the control split and the attacks: the release's seed when given, else a fresh one."""
    return config.seed if config.seed is not None else secrets.randbits(32)


def _read_back(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        return list(reader)


def _write_release(
    out: Path,
    table: PublicationTable,
    config: ReleaseConfig,
    micro: KAnonymousTable,
    aggregates: AggregateRelease,
    synthetic: SyntheticData | None,
    split: Split | None,
    ledger: Path,
    keyring: Keyring,
    entry: Entry,
) -> BuiltRelease:
    schema = table.schema
    _write_table(out, MICRODATA, micro.header, micro.rows)
    check = check_k_anonymity(
        out / f"{MICRODATA}.csv",
        quasi_identifiers=micro.quasi_identifiers,
        k=micro.k,
        sensitive=micro.sensitive,
        l_diversity=micro.l_diversity,
    )
    if not check.ok:
        raise IntegrityError("the written microdata fail the independent k-anonymity check; nothing was released")
    micro_utility, micro_privacy = evaluate_microdata(table, micro, _read_back(out / f"{MICRODATA}.csv"))
    if micro_privacy["rare_combinations"]["leaked_total"]:
        raise IntegrityError(
            "the written microdata show combinations of quasi-identifiers rarer than k in the source; "
            "nothing was released"
        )
    (out / "aggregates").mkdir()
    for cells in aggregates.tables:
        _write_table(out / "aggregates", cells.breakdown.name, cells.header, cells.rows)
    shutil.copyfile(ledger, out / LEDGER_COPY)
    report = _report(config, micro, aggregates, ledger, keyring, check)
    utility: dict[str, Any] = {
        **utility_notes(),
        "microdata": micro_utility,
        "aggregates": {
            "error_bound": aggregates.error_bound,
            "error_confidence": aggregates.confidence,
            "note": "each published cell is within the error bound of the true count with this probability",
        },
    }
    privacy: dict[str, Any] = {
        "k_verified": {
            "k": micro.k,
            "smallest_class": check.smallest_class,
            "classes": check.classes,
            "ok": check.ok,
            "how": "counted from the written microdata.csv by an independent reader (ctdx.privacy.checks)",
        },
        "microdata": micro_privacy,
    }
    if synthetic is not None and split is not None and config.attack_targets is not None:
        synthetic_utility, synthetic_privacy = evaluate_synthetic(
            table,
            split,
            synthetic.table,
            k=micro.k,
            attack_targets=config.attack_targets,
            seed=_evaluation_seed(config),
        )
        utility["synthetic"] = synthetic_utility
        privacy["synthetic"] = synthetic_privacy
        rows = list(synthetic.table.rows())
        _write_table(out, SYNTHETIC, schema.names, rows)
        report["synthetic"] = {
            "method": "measured one- and two-way marginals on a DP-selected tree (MST recipe), OpenDP noise",
            "epsilon": synthetic.epsilon,
            "delta": synthetic.delta,
            "rho": synthetic.rho,
            "rows": len(rows),
            "measured_pairs": [list(edge) for edge in synthetic.edges],
            "pairs_chosen_under_dp": synthetic.selected_edges,
        }
    # what the ledger charged (the configured amounts); OpenDP's maps may certify a little less ("achieved")
    epsilon, delta = entry.epsilon, entry.delta
    report["total"] = {"epsilon": epsilon, "delta": delta, "composition": "basic (sum)"}
    achieved = {"aggregates": (aggregates.epsilon, aggregates.delta)}
    if synthetic is not None:
        achieved["synthetic"] = (synthetic.epsilon, synthetic.delta)
    parts = [
        {
            "name": p.name,
            "mechanism": p.mechanism,
            "epsilon": p.epsilon,
            "delta": p.delta,
            "epsilon_achieved": achieved[p.name][0],
            "delta_achieved": achieved[p.name][1],
        }
        for p in entry.parts
    ]
    privacy["spent"] = {"parts": parts, "total": report["total"], "ledger_entry": entry.hash}
    report["utility"] = utility
    report["privacy"] = privacy
    (out / REPORT).write_text(canonical_json(report) + "\n", encoding="utf-8")
    (out / REPORT_HTML).write_text(render_report(report, config.title), encoding="utf-8")
    micro_fields = [_field(schema, n, micro.levels.get(n)) for n in micro.header]
    resources = [
        _resource(out, MICRODATA, f"{MICRODATA}.csv", micro_fields, "csv"),
        _resource(out, f"{MICRODATA}-parquet", f"{MICRODATA}.parquet", micro_fields, "parquet"),
    ]
    if synthetic is not None:
        fields = [_field(schema, n, None) for n in schema.names]
        resources.append(_resource(out, SYNTHETIC, f"{SYNTHETIC}.csv", fields, "csv"))
        resources.append(_resource(out, f"{SYNTHETIC}-parquet", f"{SYNTHETIC}.parquet", fields, "parquet"))
    for cells in aggregates.tables:
        fields = _aggregate_fields(schema, cells.breakdown)
        stem = f"aggregates/{cells.breakdown.name}"
        resources.append(_resource(out, f"aggregates-{cells.breakdown.name}", f"{stem}.csv", fields, "csv"))
        resources.append(
            _resource(out, f"aggregates-{cells.breakdown.name}-parquet", f"{stem}.parquet", fields, "parquet")
        )
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    changes = config.changes or ("First release.",)
    (out / "CHANGELOG.md").write_text(
        f"# {config.title}\n\n## {config.version} ({created[:10]})\n\n" + "".join(f"- {c}\n" for c in changes),
        encoding="utf-8",
    )
    package = {
        "$schema": PROFILE,
        "name": config.name,
        "title": config.title,
        "version": config.version,
        "created": created,
        "licenses": list(config.licenses),
        "sources": list(config.sources),
        "contributors": list(config.contributors),
        "citation": config.citation or f"{config.title}, version {config.version}",
        "resources": resources,
        "ctdx:privacy": {
            "release": f"{config.name}@{config.version}",
            "k": micro.k,
            "quasi_identifiers": list(micro.quasi_identifiers),
            "sensitive": list(micro.sensitive),
            "l_diversity": micro.l_diversity,
            "threshold": aggregates.threshold,
            "epsilon": epsilon,
            "delta": delta,
            "ledger": LEDGER_COPY,
            "ledger_head": report["ledger"]["head"],
            "report": REPORT,
            "report_hash": "sha256:" + sha256_file(out / REPORT),
            "report_html": REPORT_HTML,
            "report_html_hash": "sha256:" + sha256_file(out / REPORT_HTML),
        },
    }
    (out / "datapackage.json").write_text(canonical_json(package) + "\n", encoding="utf-8")
    return BuiltRelease(path=out, microdata_rows=len(micro.rows), report=report)
