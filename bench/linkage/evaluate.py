"""Linkage metrics of benchmarks.md B4, in the standard library only, so every system's venv can use them.

Inputs are plain: the true entity of each record, the predicted cluster of each record, the predicted
pairs (before clustering) and the candidate pairs that blocking proposed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping


def _groups(labels: Mapping[str, str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for record, label in labels.items():
        groups[label].append(record)
    return groups


def _pairs_within(labels: Mapping[str, str]) -> set[tuple[str, str]]:
    pairs = set()
    for members in _groups(labels).values():
        members.sort()
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                pairs.add((a, b))
    return pairs


def _prf(predicted: set[tuple[str, str]], true: set[tuple[str, str]]) -> dict[str, float]:
    hits = len(predicted & true)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(true) if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "predicted": len(predicted), "true": len(true)}


def _ordered(pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(a, b) if a < b else (b, a) for a, b in pairs}


def evaluate(
    truth: Mapping[str, str],
    clusters: Mapping[str, str],
    predicted_pairs: Iterable[tuple[str, str]],
    candidate_pairs: int | None = None,
    candidate_true_pairs: int | None = None,
) -> dict[str, object]:
    """Pairwise P/R/F1 before and after clustering, B-cubed, person-count error, blocking figures."""
    true_pairs = _pairs_within(truth)
    cluster_pairs = _pairs_within(clusters)
    entities = len(set(truth.values()))
    found = len(set(clusters.values()))
    by_cluster = _groups(clusters)
    by_entity = _groups(truth)
    precision_sum = recall_sum = 0.0
    for record in truth:
        cluster = set(by_cluster[clusters[record]])
        entity = set(by_entity[truth[record]])
        overlap = len(cluster & entity)
        precision_sum += overlap / len(cluster)
        recall_sum += overlap / len(entity)
    n = len(truth)
    b3p, b3r = precision_sum / n, recall_sum / n
    all_pairs = n * (n - 1) // 2
    result: dict[str, object] = {
        "records": n,
        "entities": entities,
        "clusters": found,
        "count_error": (found - entities) / entities,
        "pairwise": _prf(_ordered(predicted_pairs), true_pairs),
        "post_cluster": _prf(cluster_pairs, true_pairs),
        "bcubed": {"precision": b3p, "recall": b3r, "f1": 2 * b3p * b3r / (b3p + b3r) if b3p + b3r else 0.0},
    }
    if candidate_pairs is not None:
        result["blocking"] = {
            "candidate_pairs": candidate_pairs,
            "reduction_ratio": 1 - candidate_pairs / all_pairs if all_pairs else 0.0,
            "pair_completeness": (candidate_true_pairs or 0) / len(true_pairs) if true_pairs else 1.0,
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
