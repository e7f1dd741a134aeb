"""Birth dates, phone numbers and identity numbers of generated people."""

from __future__ import annotations

import numpy as np

from ctdx.sample.identities import birth_dates, completed_years, identity_numbers, numbering_plans, phone_numbers


def test_birth_dates_give_exactly_the_ages_asked_for() -> None:
    rng = np.random.default_rng(3)
    at = np.datetime64("2016-02-29") + rng.integers(0, 3000, 20_000).astype("timedelta64[D]")
    ages = rng.integers(0, 71, 20_000)
    born = birth_dates(rng, at, ages)
    assert (completed_years(born, at) == ages).all()
    assert (born <= at).all()


def test_completed_years_counts_birthdays_by_month_and_day() -> None:
    born = np.array(["2000-02-29", "2000-03-01", "1990-12-31", "2005-06-15"], dtype="datetime64[D]")
    at = np.array(["2019-02-28", "2019-03-01", "2020-12-30", "2005-06-15"], dtype="datetime64[D]")
    assert completed_years(born, at).tolist() == [18, 19, 29, 0]


def test_phone_and_identity_numbers_follow_the_country() -> None:
    rng = np.random.default_rng(1)
    countries = ("PH", "UA", "US")
    which = rng.integers(0, 3, 3_000)
    phones = phone_numbers(rng, which, countries)
    ids = identity_numbers(rng, which, countries)
    plans = numbering_plans()
    for i, phone, number in zip(which.tolist(), phones.tolist(), ids.tolist(), strict=True):
        plan = plans[countries[i]]
        assert phone.startswith(f"+{plan.country_code}") and phone[1:].isdigit()
        assert len(phone) == 1 + len(plan.country_code) + plan.national_length
        assert any(phone.startswith(f"+{plan.country_code}{p}") for p in plan.mobile_prefixes)
        assert len(number) == len(plan.identity_pattern)
        for char, shape in zip(number, plan.identity_pattern, strict=True):
            assert char.isdigit() if shape == "9" else char.isalpha() if shape == "A" else char == shape
    assert len(set(phones.tolist())) > 2_900
