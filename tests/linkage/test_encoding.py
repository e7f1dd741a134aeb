"""Keyed, hardened Bloom-filter encodings."""

from __future__ import annotations

import numpy as np
import pytest

from ctdx.errors import ValidationError
from ctdx.linkage.encoding import (
    DEFAULT_ENCODING_CONFIG,
    PLAINTEXT_ENCODING_CONFIG,
    Encoder,
    EncodingConfig,
    LinkageSecret,
    check_encodings,
    dice,
    identity_tokens,
)
from ctdx.linkage.normalise import Identity, normalise_name, parse_birth_date

SECRET = LinkageSecret(bytes(range(32)))


def person(first: str, last: str, birth: str = "1990-05-12") -> Identity:
    return Identity(normalise_name(first, last), parse_birth_date(birth), "f", ("UA",))


def test_similar_names_score_higher_than_different_names() -> None:
    encoder = Encoder(SECRET)
    base = encoder.encode(person("Olena", "Kovalenko"))
    typo = encoder.encode(person("Olena", "Kovalenco"))
    other = encoder.encode(person("Maria", "Popescu"))
    for name in ("family", "names"):
        assert dice(base[name], typo[name]) > dice(base[name], other[name]) + 0.1


def test_balanced_encodings_all_weigh_the_same_and_noise_makes_each_unique() -> None:
    encoder = Encoder(SECRET)
    a = encoder.encode(person("Olena", "Kovalenko"))["names"]
    b = encoder.encode(person("Olena", "Kovalenko"))["names"]
    long_name = encoder.encode(person("Maria Guadalupe", "Hernandez Castellanos"))["names"]
    assert a is not None and b is not None and long_name is not None
    assert a != b  # randomised response: equal values do not give equal encodings
    weights = [int(np.unpackbits(np.frombuffer(x, dtype=np.uint8)).sum()) for x in (a, b, long_name)]
    bits = 2 * DEFAULT_ENCODING_CONFIG.spec("names").bits
    # Balancing fixes the weight at half the bits; flips move it by a few percent at most.
    assert all(abs(w - bits / 2) < 0.06 * bits for w in weights)


def test_without_the_secret_the_encoding_differs() -> None:
    identity = person("Olena", "Kovalenko")
    mine = Encoder(SECRET, PLAINTEXT_ENCODING_CONFIG).encode(identity)
    again = Encoder(LinkageSecret(bytes(range(32))), PLAINTEXT_ENCODING_CONFIG).encode(identity)
    theirs = Encoder(LinkageSecret.generate(), PLAINTEXT_ENCODING_CONFIG).encode(identity)
    assert mine == again
    assert dice(mine["names"], theirs["names"]) < 0.6  # about the fill rate (0.45): unrelated filters


def test_day_month_swap_keeps_part_of_the_birth_date() -> None:
    tokens = identity_tokens(person("a", "b", "1990-05-12"))["birth"]
    swapped = identity_tokens(person("a", "b", "1990-12-05"))["birth"]
    other = identity_tokens(person("a", "b", "1990-03-02"))["birth"]
    assert "md:5-12" in tokens and "md:5-12" in swapped
    assert len(tokens & swapped) > len(tokens & other)


def test_unknown_fields_get_no_encoding() -> None:
    identity = Identity(normalise_name("Olena", None), parse_birth_date(None), None, ())
    encoded = Encoder(SECRET).encode(identity)
    assert encoded["given"] is not None
    assert encoded["family"] is None and encoded["birth"] is None and encoded["sex"] is None


def test_checks_refuse_wrong_lengths_and_unknown_fields() -> None:
    encoded = Encoder(SECRET).encode(person("Olena", "Kovalenko"))
    assert check_encodings(encoded, DEFAULT_ENCODING_CONFIG, "c1") == encoded
    with pytest.raises(ValidationError):
        check_encodings({**encoded, "names": b"\x00" * 3}, DEFAULT_ENCODING_CONFIG, "c1")
    with pytest.raises(ValidationError):
        check_encodings({**encoded, "phone": None}, DEFAULT_ENCODING_CONFIG, "c1")


def test_secret_and_config_validation() -> None:
    with pytest.raises(ValidationError):
        LinkageSecret(b"short")
    with pytest.raises(ValidationError):
        LinkageSecret.from_text("not hex")
    assert LinkageSecret.from_text(SECRET.to_text()).fingerprint == SECRET.fingerprint
    assert SECRET.to_text() not in repr(SECRET)
    with pytest.raises(ValidationError):
        EncodingConfig(flip_probability=0.7)
