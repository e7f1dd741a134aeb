"""Sign-in throttling per client address, with explicit clocks, through ``authenticate`` on a real store."""

from __future__ import annotations

import datetime as dt

import pytest

from ctdx.accounts import authenticate
from ctdx.accounts.sessions import LoginFailed
from ctdx.accounts.throttle import SignInThrottle, TooManyAttempts
from ctdx.errors import ValidationError
from ctdx.store import Store
from tests.api.world import PASSWORD

T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


def test_an_address_is_blocked_after_its_failures_then_free_again(store: Store) -> None:
    throttle = SignInThrottle(failures=3, window=dt.timedelta(minutes=10), block=dt.timedelta(minutes=15))
    for n in range(3):
        with pytest.raises(LoginFailed):
            authenticate(store, f"nobody-{n}", "guess", T0, throttle=throttle, address="198.51.100.1")
    with pytest.raises(TooManyAttempts) as refused:
        authenticate(
            store, "a-caseworker", PASSWORD, T0 + dt.timedelta(minutes=1), throttle=throttle, address="198.51.100.1"
        )
    assert refused.value.code == "too_many_attempts" and refused.value.retry_after == 14 * 60
    assert "198.51.100.1" not in str(refused.value)
    # Another address is not affected, and the blocked one is free once the block has run out.
    assert (
        authenticate(store, "a-caseworker", PASSWORD, T0, throttle=throttle, address="198.51.100.2").username
        == "a-caseworker"
    )
    later = T0 + dt.timedelta(minutes=16)
    assert (
        authenticate(store, "a-caseworker", PASSWORD, later, throttle=throttle, address="198.51.100.1").username
        == "a-caseworker"
    )


def test_failures_older_than_the_window_do_not_add_up_and_a_success_does_not_clear_them(store: Store) -> None:
    throttle = SignInThrottle(failures=3, window=dt.timedelta(minutes=10), block=dt.timedelta(minutes=15))
    address = "203.0.113.9"
    for minutes in (0, 5, 11, 12):  # the window restarts at minute 11: two failures in the new one
        with pytest.raises(LoginFailed):
            authenticate(
                store, "nobody", "guess", T0 + dt.timedelta(minutes=minutes), throttle=throttle, address=address
            )
    now = T0 + dt.timedelta(minutes=13)
    assert (
        authenticate(store, "a-caseworker", PASSWORD, now, throttle=throttle, address=address).username
        == "a-caseworker"
    )
    with pytest.raises(LoginFailed):
        authenticate(store, "nobody", "guess", now, throttle=throttle, address=address)
    with pytest.raises(TooManyAttempts):
        authenticate(store, "a-caseworker", PASSWORD, now, throttle=throttle, address=address)


def test_a_throttle_needs_sensible_limits() -> None:
    with pytest.raises(ValidationError):
        SignInThrottle(failures=0)
    with pytest.raises(ValidationError):
        SignInThrottle(window=dt.timedelta(0))
