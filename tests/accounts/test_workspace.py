"""The workspace scopes cases below the web layer, and screening drafts are sealed and private."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ctdx.accounts import Drafts, authenticate, workspace
from ctdx.accounts.tables import ScreeningDraft
from ctdx.errors import NotFoundError
from ctdx.screening import AnswerValue, EvidenceSource, Interview, load_bank
from ctdx.store import Store
from tests.api.world import PASSWORD, World


def test_scopes_own_team_and_organisation(store: Store, world: World) -> None:
    seen = {}
    for username in ("a-caseworker", "a-supervisor", "a-datamgr"):
        with workspace(store, authenticate(store, username, PASSWORD)) as ws:
            seen[username] = {row.id for row in ws.list_cases(1, 100).items}
    label = {v: k for k, v in world.cases.items()}
    assert {label[i] for i in seen["a-caseworker"]} == {"own", "referred"}
    assert {label[i] for i in seen["a-supervisor"]} == {"own", "team", "referred"}
    assert {label[i] for i in seen["a-datamgr"]} == {"own", "team", "org", "referred"}


def test_a_case_outside_the_scope_is_not_found(store: Store, world: World) -> None:
    with workspace(store, authenticate(store, "a-caseworker", PASSWORD)) as ws, pytest.raises(NotFoundError):
        ws.case_page(world.cases["team"])


def test_a_list_pages_and_filters(store: Store) -> None:
    with workspace(store, authenticate(store, "a-orgadmin", PASSWORD)) as ws:
        first, second = ws.list_cases(1, 2), ws.list_cases(2, 2)
        closed = ws.list_cases(1, 10, status="Closed")
    assert first.total == second.total == 4 and len(first.items) == len(second.items) == 2
    assert not {r.id for r in first.items} & {r.id for r in second.items}
    assert closed.total == 0


def test_a_draft_is_sealed_and_seen_by_its_author_only(store: Store) -> None:
    bank = load_bank()
    interview = Interview.start("triage", "es")
    interview = interview.record(interview.pending(bank)[0].id, AnswerValue.YES, EvidenceSource.SELF_REPORT, bank)
    author = authenticate(store, "a-caseworker", PASSWORD)
    with store.transaction() as session:
        draft_id = Drafts(session, store.cipher, author).save(interview)
    with store.transaction() as session:
        blob = session.scalars(select(ScreeningDraft.sealed)).one()
        assert b"triage" not in blob and b"yes" not in blob
        assert Drafts(session, store.cipher, author).load(draft_id) == interview
    colleague = authenticate(store, "a-colleague", PASSWORD)
    with store.transaction() as session, pytest.raises(NotFoundError):
        Drafts(session, store.cipher, colleague).load(draft_id)
