"""Vectorised candidate pairs from packed encodings: near-identical filters meet, unrelated ones do not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from itertools import combinations

import numpy as np
import pytest

from ctdx.errors import ValidationError
from ctdx.linkage.batch import EncodedRecords, training_columns
from ctdx.linkage.blocking import (
    TRAINING_BANDS,
    Blocking,
    BlockingRule,
    LshConfig,
    candidate_pairs,
    cap_keys,
    encoding_blocking_keys,
    training_keys,
)
from ctdx.linkage.encoding import Encoder, EncodingConfig, LinkageSecret
from ctdx.linkage.normalise import Identity, identity_of
from ctdx.linkage.scoring import training_recall
from ctdx.sample.cohort import generate_cohort


def _noisy_copies(random: np.random.Generator, base: np.ndarray, flip: float) -> np.ndarray:
    bits = np.unpackbits(base, axis=1)
    flips = random.random(bits.shape) < flip
    return np.packbits(bits ^ flips, axis=1)


def test_near_copies_become_candidates_and_unrelated_records_mostly_do_not() -> None:
    random = np.random.default_rng(3)
    people = 400
    names = random.integers(0, 256, size=(people, 128), dtype=np.uint8)
    births = random.integers(0, 256, size=(people, 128), dtype=np.uint8)
    # Every person twice, each copy with 2 % of its bits flipped (as the hardened encodings are).
    packed = {
        "names": np.concatenate([_noisy_copies(random, names, 0.02), _noisy_copies(random, names, 0.02)]),
        "birth": np.concatenate([_noisy_copies(random, births, 0.02), _noisy_copies(random, births, 0.02)]),
    }
    present = {k: np.ones(2 * people, dtype=bool) for k in packed}
    present["birth"][:50] = False  # unknown birth dates: only the names rule can find these
    blocking = Blocking((BlockingRule(("names", "birth"), (12, 12), 20), BlockingRule(("names",), (20,), 20)))
    found_pairs = candidate_pairs(packed, present, blocking)
    left, right = found_pairs.left, found_pairs.right
    assert np.all(left < right)
    assert found_pairs.emitted >= left.size and found_pairs.dropped_keys == 0
    codes = left * (2 * people) + right
    assert np.unique(codes).size == codes.size
    true = set(zip(range(people), range(people, 2 * people), strict=True))
    found = set(zip(left.tolist(), right.tolist(), strict=True))
    assert len(found & true) / people >= 0.99
    # Random filters agree on half their bits: a band of 20 bits matches with odds of about 1e-6.
    assert len(found - true) <= people


def test_pairs_sharing_a_key_are_every_pair_within_each_block_and_big_blocks_are_dropped() -> None:
    # One field of 8 bits sampled in full: the key is the byte itself.
    values = np.array([[1], [1], [2], [1], [2], [3], [1]], dtype=np.uint8)
    packed = {"code": values}
    present = {"code": np.ones(len(values), dtype=bool)}
    found = candidate_pairs(packed, present, Blocking((BlockingRule(("code",), (8,), 1),)))
    expected = {(a, b) for a, b in combinations(range(len(values)), 2) if values[a, 0] == values[b, 0]}
    assert set(zip(found.left.tolist(), found.right.tolist(), strict=True)) == expected
    assert found.summary() == {
        "candidate_pairs": 7,
        "emitted_pairs": 7,
        "dropped_keys": 0,
        "dropped_records": 0,
        "dropped_pairs": 0,
    }
    capped = candidate_pairs(packed, present, Blocking((BlockingRule(("code",), (8,), 1),), max_block=3))
    # The key 1 holds four records, over the cap of three: only the pair of 2s is left, and the drop is counted.
    assert set(zip(capped.left.tolist(), capped.right.tolist(), strict=True)) == {(2, 4)}
    assert (capped.dropped_keys, capped.dropped_records, capped.dropped_pairs) == (1, 4, 6)
    # A rule's own cap wins over the blocking's.
    own = candidate_pairs(packed, present, Blocking((BlockingRule(("code",), (8,), 1, max_block=4),), max_block=3))
    assert own.left.size == 7 and own.dropped_keys == 0
    with pytest.raises(ValidationError):
        candidate_pairs(packed, present, Blocking((BlockingRule(("code",), (8,), 1),), max_block=1))


def test_records_missing_a_rule_field_get_no_key_from_it() -> None:
    packed = {"names": np.zeros((3, 4), dtype=np.uint8), "birth": np.zeros((3, 4), dtype=np.uint8)}
    present = {"names": np.ones(3, dtype=bool), "birth": np.array([True, False, True])}
    found = candidate_pairs(packed, present, Blocking((BlockingRule(("names", "birth"), (8, 8), 2),)))
    assert set(zip(found.left.tolist(), found.right.tolist(), strict=True)) == {(0, 2)}
    none = candidate_pairs(packed, present, Blocking((BlockingRule(("address",), (8,), 2),)))
    assert none.left.size == none.right.size == none.emitted == 0


def test_string_keys_over_the_cap_are_dropped_and_counted() -> None:
    keys = [["n:maria", "b:1990-5-12"], ["n:maria"], ["n:maria", "b:1990-5-12"], ["n:olena"], ["n:maria"]]
    capped = cap_keys(keys, max_block=3)
    # "n:maria" is held by four records: dropped with its six pairs; the birth-date key stays.
    assert capped.keys == [["b:1990-5-12"], [], ["b:1990-5-12"], ["n:olena"], []]
    assert capped.summary() == {"max_block": 3, "dropped_keys": 1, "dropped_pairs": 6}
    assert cap_keys(keys, max_block=4).keys == keys
    with pytest.raises(ValidationError):
        cap_keys(keys, max_block=1)


def test_the_wide_names_bands_keep_the_true_pairs_the_birth_date_salt_takes_from_blocking() -> None:
    """The hub's string keys on a ``ctdx sample`` cohort under the birth-date salt (the default): half its
    records have no full birth date, hence no given or family filter to block on. The shorter names bands
    give back what the salt takes, at about the unsalted hub's number of candidates (measured: pair
    completeness 0.80 with them, 0.75 without, 0.85-0.88 unsalted)."""
    records: list[Identity] = []
    persons: list[str] = []
    for chunk in generate_cohort(2000, 3, 11).chunks():
        records += [identity_of(dict(case.values)) for case in chunk.records()]
        persons += list(chunk.person_ids)
    salted = EncodingConfig(salt="birth-date")
    encodings = Encoder(LinkageSecret(bytes(range(7, 39))), salted).encode_many(records).records()
    by_person: dict[str, list[int]] = {}
    for index, person in enumerate(persons):
        by_person.setdefault(person, []).append(index)
    true_pairs = [pair for rows in by_person.values() for pair in combinations(rows, 2)]

    def completeness_and_candidates(config: LshConfig) -> tuple[float, int]:
        keys = cap_keys(encoding_blocking_keys(encodings, config)).keys
        blocks: dict[str, list[int]] = {}
        for row, record_keys in enumerate(keys):
            for key in set(record_keys):
                blocks.setdefault(key, []).append(row)
        candidates = {pair for rows in blocks.values() for pair in combinations(rows, 2)}
        return sum(pair in candidates for pair in true_pairs) / len(true_pairs), len(candidates)

    wide, wide_candidates = completeness_and_candidates(LshConfig())
    narrow, narrow_candidates = completeness_and_candidates(LshConfig(wide_fields=()))
    assert wide >= 0.78 and wide - narrow >= 0.03
    assert narrow_candidates < wide_candidates < 4 * narrow_candidates
    # The training rule still reads the first band of the usual length (``scoring.training_recall``).
    first = encoding_blocking_keys(encodings)
    found = [training_keys(keys) for keys in first]
    for k in range(TRAINING_BANDS):
        assert {str(t[f"train_names{k}"]).split(":")[0] for t in found if t[f"train_names{k}"]} == {f"names{k}"}
        assert {str(t[f"train_birth{k}"]).split(":")[0] for t in found if t[f"train_birth{k}"]} == {f"birth{k}"}


def test_the_array_path_blocks_as_the_hub_keys_do_until_the_hub_is_large() -> None:
    """A hub that links arrays (from ``hub.ARRAYS_FROM`` cases) blocks with its string keys' design as array
    rules (``LSH_BLOCKING``) up to ``LSH_BLOCKING_UP_TO`` records: on a ``ctdx sample`` cohort it keeps about
    the true pairs the string keys keep, far more than the scale rules (on these 3,000 cases, 20 runs, which
    differ by their random bit flips: 0.838-0.855, the string keys 0.836-0.872, at most 0.025 more, the
    scale rules 0.599-0.629; on LD5 100k 0.82 against 0.60). Beyond, the scale rules, whose candidates grow
    slower with the cohort."""
    from ctdx.linkage.blocking import DEFAULT_BLOCKING, LSH_BLOCKING, LSH_BLOCKING_UP_TO, blocking_for

    assert blocking_for(LSH_BLOCKING_UP_TO) is LSH_BLOCKING and blocking_for(LSH_BLOCKING_UP_TO + 1) is DEFAULT_BLOCKING
    records: list[Identity] = []
    persons: list[str] = []
    for chunk in generate_cohort(3000, 5, 11).chunks():
        records += [identity_of(dict(case.values)) for case in chunk.records()]
        persons += list(chunk.person_ids)
    batch = Encoder(LinkageSecret(bytes(range(3, 35)))).encode_many(records)
    packed = {name: f.packed for name, f in batch.fields.items()}
    present = {name: f.present for name, f in batch.fields.items()}
    person = np.unique(np.array(persons), return_inverse=True)[1]
    sizes = np.bincount(person)
    true_pairs = int((sizes * (sizes - 1) // 2).sum())

    def completeness(blocking: Blocking) -> float:
        found = candidate_pairs(packed, present, blocking)
        return int((person[found.left] == person[found.right]).sum()) / true_pairs

    keys = cap_keys(encoding_blocking_keys(batch.records())).keys
    blocks: dict[str, list[int]] = {}
    for row, record_keys in enumerate(keys):
        for key in set(record_keys):
            blocks.setdefault(key, []).append(row)
    by_keys = {pair for rows in blocks.values() for pair in combinations(rows, 2)}
    string_keys = sum(person[a] == person[b] for a, b in by_keys) / true_pairs
    as_rules, scale = completeness(LSH_BLOCKING), completeness(DEFAULT_BLOCKING)
    assert as_rules >= string_keys - 0.04 and as_rules >= scale + 0.15


def test_the_training_rule_lets_through_the_share_of_identical_pairs_it_assumes() -> None:
    # λ is the number of pairs meeting the rule over its recall (``training_recall``). Two encodings of one
    # identity differ only by their bit flips; the share of such pairs meeting the rule (both keys of one of
    # the bands equal) is what the recall assumes, on the object path's keys and the array path's alike.
    # One band let a fifth through: a 1,500-record hub then estimated λ from 2 to 7 pairs.
    identities = [
        identity_of(dict(case.values))
        for chunk in generate_cohort(1500, 1, 5).chunks()
        for case in chunk.records()
        if isinstance(case.get("prs_Birthdate"), dt.date)
    ]
    encoder = Encoder(LinkageSecret(bytes(range(32))))
    first, second = encoder.encode_many(identities), encoder.encode_many(identities)
    keys = [training_keys(k) for k in encoding_blocking_keys([*first.records(), *second.records()])]
    n = len(identities)

    def met(a: Mapping[str, object], b: Mapping[str, object]) -> bool:
        return any(
            a[f"train_names{k}"] is not None
            and a[f"train_names{k}"] == b[f"train_names{k}"]
            and a[f"train_birth{k}"] == b[f"train_birth{k}"]
            for k in range(TRAINING_BANDS)
        )

    records = EncodedRecords(
        [str(i) for i in range(2 * n)],
        ["org"] * (2 * n),
        {f: np.concatenate([first.fields[f].packed, second.fields[f].packed]) for f in first.fields},
        {f: np.concatenate([first.fields[f].present, second.fields[f].present]) for f in first.fields},
    )
    columns = training_columns(records)
    arrays = [{name: (None if v[i] < 0 else int(v[i])) for name, v in columns.items()} for i in range(2 * n)]
    for path in (keys, arrays):
        share = sum(met(path[i], path[n + i]) for i in range(n)) / n
        assert n > 500 and share == pytest.approx(training_recall("privacy"), abs=0.06)
    assert training_recall("privacy") > 3 * training_recall("privacy", bands=1)
