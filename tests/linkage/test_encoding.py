"""Keyed, hardened Bloom-filter encodings."""

from __future__ import annotations

import numpy as np
import pytest

from ctdx.errors import ValidationError
from ctdx.linkage.encoding import (
    DEFAULT_ENCODING_CONFIG,
    PLAINTEXT_ENCODING_CONFIG,
    SALTED_FIELDS,
    WITH_ADDRESS,
    Encoder,
    EncodingConfig,
    LinkageSecret,
    check_encodings,
    dice,
    field_tokens,
    field_value,
    identity_tokens,
    salted,
    salts,
)
from ctdx.linkage.normalise import BirthDate, Identity, identity_of, normalise_name, parse_birth_date

SECRET = LinkageSecret(bytes(range(32)))


def person(first: str, last: str, birth: str | None = "1990-05-12") -> Identity:
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
    unsalted = Encoder(SECRET, EncodingConfig(salt="none")).encode(identity)
    assert unsalted["given"] is not None and unsalted["names"] is not None
    assert unsalted["family"] is None and unsalted["birth"] is None and unsalted["sex"] is None
    # Name parts salted with the birth date (the default): without one only the composites are sent.
    assert DEFAULT_ENCODING_CONFIG.salt == "birth-date"
    encoded = Encoder(SECRET).encode(identity)
    assert encoded["given"] is None and encoded["family"] is None and encoded["names"] is not None
    dated = Identity(normalise_name("Olena", None), parse_birth_date("1990-04-02"), None, ())
    assert Encoder(SECRET).encode(dated)["given"] is not None


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


def test_a_batch_encodes_each_record_as_one_at_a_time_does() -> None:
    config = EncodingConfig(flip_probability=0.0)
    people = [person("Olena", "Kovalenko"), person("Maria", "Popescu", "1985"), person("Ivan", "Petrov", "1970-01-01")]
    batch = Encoder(SECRET, config).encode_many(people * 3000)  # more than one chunk
    assert batch.size == 9000
    for i, identity in enumerate(people):
        single = Encoder(SECRET, config).encode(identity)
        assert batch.record(i) == single == batch.record(i + 3 * 2000)


@pytest.mark.parametrize(("salt", "window"), [("none", 0), ("birth-date", 0), ("birth-year", 1)])
def test_a_batch_sets_the_bits_of_each_value_as_its_own_tokens_do(salt: str, window: int) -> None:
    # The batch looks up the positions of all new values at once; one value's filter from its own tokens
    # (salted as the encoder salts them) is the reference. Names of different lengths (the bits per bigram
    # follow the length), compound and missing parts, full and partial dates.
    config = EncodingConfig(flip_probability=0.0, salt=salt, salt_window=window)  # type: ignore[arg-type]
    people = [
        person("Olena", "Kovalenko", "1990-05-12"),
        person("Al", "Li", "1990-05-12"),
        person("Maria Guadalupe", "Santos Santos", "1985-12-01"),
        identity_of({"prs_FirstName": "Bartholomew-Alexander", "prs_Birthdate": "1985"}),
        identity_of({"prs_SecondName": "Nguyen"}),
        identity_of({"prs_FirstName": "محمد", "prs_SecondName": "علي", "prs_Birthdate": "2001-02-03"}),
    ]
    encoder = Encoder(SECRET, config)
    batch = encoder.encode_many(people)
    for index, identity in enumerate(people):
        for name in config.field_names:
            tokens = sorted(field_tokens(name, field_value(identity, name)))
            if name in SALTED_FIELDS[salt]:
                tokens = salted(tokens, salts(identity, config))
            assert batch.record(index)[name] == encoder.encode_field(name, tokens), (index, name)


def test_salting_with_the_birth_year_separates_one_name_across_years() -> None:
    encoder = Encoder(SECRET, EncodingConfig(salt="birth-year"))
    same_year = encoder.encode_many([person("Olena", "Kovalenko", "1990-05-12"), person("Olena", "Kovalenko", "1990")])
    other_year = encoder.encode(person("Olena", "Kovalenko", "1991-05-12"))
    unknown = encoder.encode_many([person("Olena", "Kovalenko", None), person("Olena", "Kovalenko", None)])
    a, b = same_year.record(0), same_year.record(1)
    assert dice(a["family"], b["family"]) > 0.9  # type: ignore[arg-type]
    assert dice(a["family"], other_year["family"]) < 0.6  # type: ignore[arg-type]
    assert dice(unknown.record(0)["family"], unknown.record(1)["family"]) > 0.9  # type: ignore[arg-type]
    # The birth date itself is not salted: a neighbouring year still scores close.
    assert dice(a["birth"], other_year["birth"]) > 0.7  # type: ignore[arg-type]


def test_the_birth_date_salt_ties_name_parts_to_the_date_and_keeps_the_composites_comparable() -> None:
    encoder = Encoder(SECRET, EncodingConfig(salt="birth-date"))
    batch = encoder.encode_many(
        [
            person("Olena", "Kovalenko", "1990-05-12"),
            person("Olena", "Kovalenko", "1990-12-05"),  # day and month swapped
            person("Olena", "Kovalenko", "1990-05-13"),  # one day apart
            person("Olena", "Kovalenko", "1990"),  # year only
            person("Olena", "Kovalenko", None),
        ]
    )
    exact, swapped, next_day, year_only, unknown = (batch.record(i) for i in range(5))
    for name in ("given", "family"):
        assert dice(exact[name], swapped[name]) > 0.9  # type: ignore[arg-type]
        assert dice(exact[name], next_day[name]) < 0.6  # type: ignore[arg-type]
        # Without a complete birth date the name parts get no filter: nothing to group by name.
        assert year_only[name] is None and unknown[name] is None
    for name in ("names", "skeleton"):  # unsalted: a pair with another or no birth date still compares
        for other in (next_day, year_only, unknown):
            assert dice(exact[name], other[name]) > 0.9  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        EncodingConfig(salt="birth-date", salt_window=1)


def test_name_filters_weigh_the_same_whatever_the_name_length() -> None:
    config = EncodingConfig(balanced=False, flip_probability=0.0)
    encoder = Encoder(SECRET, config)
    short = encoder.encode(person("Olena", "Wu"))["given"]  # k is capped for names of 1-4 letters
    long = encoder.encode(person("Maximiliano", "Wu"))["given"]
    weights = [int(np.unpackbits(np.frombuffer(x, dtype=np.uint8)).sum()) for x in (short, long) if x]
    assert abs(weights[0] - weights[1]) < 0.25 * max(weights)


def test_address_parts_are_encoded_only_when_the_config_asks() -> None:
    values = {"prs_FirstName": "Olena", "prs_MailingCity": "Odesa", "prs_MailingPostalCode": "65000"}
    identity = identity_of(values)
    assert dict(identity.address) == {"city": "Odesa", "postcode": "65000"}
    assert "city" not in Encoder(SECRET).encode(identity)
    encoded = Encoder(SECRET, EncodingConfig(fields=WITH_ADDRESS)).encode(identity)
    assert encoded["city"] is not None and encoded["postcode"] is not None and encoded["street"] is None


def test_the_first_given_name_has_its_own_filter_and_equals_a_single_given_name() -> None:
    # Without flips a one-given-name person's first-name filter is the given-name filter (same key and
    # permutation); with a middle name it is the first name's alone, as its consonant skeleton is.
    exact = Encoder(SECRET, PLAINTEXT_ENCODING_CONFIG)
    single = exact.encode(person("Maria", "Santos"))
    assert single["first"] == single["given"]
    compound = exact.encode(Identity(normalise_name("Maria", "Santos", "Guadalupe"), parse_birth_date(None), "f", ()))
    assert compound["first"] == single["first"] != compound["given"]
    assert compound["first_skeleton"] == single["first_skeleton"]
    # A transliteration shares the first name's skeleton, not its bigrams: "Muhammad" and "محمد".
    latin = exact.encode(person("Muhammad", "Ali"))
    arabic = exact.encode(person("محمد", "علي"))
    assert dice(latin["first_skeleton"], arabic["first_skeleton"]) == 1.0
    assert dice(latin["first"], arabic["first"]) < 0.6


def test_an_estimated_age_agrees_with_a_date_in_its_range_better_than_with_a_date_a_year_away() -> None:
    exact = Encoder(SECRET, PLAINTEXT_ENCODING_CONFIG)
    born = exact.encode(person("Grace", "Okafor", "2003-09-09"))["birth"]
    about = exact.encode(Identity(normalise_name("Grace", "Okafor"), BirthDate(2003, year_error=2), "f", ()))["birth"]
    year_away = exact.encode(person("Grace", "Okafor", "2002-03-20"))["birth"]
    outside = exact.encode(person("Grace", "Okafor", "2006-09-09"))["birth"]
    assert dice(born, about) > dice(born, year_away) + 0.1
    assert dice(outside, about) < dice(born, about) - 0.25
