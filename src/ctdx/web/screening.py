"""The screening interview in the browser, one question per page: answers are saved after each one (a sealed
draft), the interview can stop and resume from the home page, and the explanation is shown at the end,
where the case is registered with the result and the consent the person gave.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from ctdx.accounts import Drafts, workspace
from ctdx.api.deps import ServicesDep
from ctdx.errors import ValidationError
from ctdx.screening import AnswerValue, EvidenceSource, Interview, ScreeningContext, load_bank
from ctdx.screening.interview import Language
from ctdx.web.rendering import render
from ctdx.web.session import FormSession, PageSession

router = APIRouter(include_in_schema=False)
ANSWERS = {v.value: v for v in (AnswerValue.YES, AnswerValue.NO, AnswerValue.UNKNOWN, AnswerValue.DECLINED)}
LANGUAGES: dict[str, Language] = {"en": "en", "fr": "fr", "es": "es"}


@router.get("/screen")
def start_page(request: Request, found: PageSession) -> Response:
    principal, csrf = found
    principal.require("cases.write")
    instruments = [(i.id, i) for i in load_bank().instruments]
    return render(request, "screen_start.html", principal, csrf, instruments=instruments)


@router.post("/screen")
def start(
    services: ServicesDep,
    found: FormSession,
    instrument: Annotated[str, Form(max_length=40)],
    language: Annotated[str, Form(max_length=5)],
) -> Response:
    principal = found[0]
    if language not in LANGUAGES:
        raise ValidationError("language must be en, fr or es", field="language")
    context = ScreeningContext(language=LANGUAGES[language], interviewer=principal.username)
    interview = Interview.start(instrument, LANGUAGES[language], context=context)
    with services.store.transaction() as session:
        draft_id = Drafts(session, services.store.cipher, principal).save(interview)
    return RedirectResponse(f"/screen/{draft_id}", status_code=303)


@router.get("/screen/{draft_id}")
def question(request: Request, draft_id: uuid.UUID, services: ServicesDep, found: PageSession) -> Response:
    principal, csrf = found
    bank = load_bank()
    with services.store.transaction() as session:
        interview = Drafts(session, services.store.cipher, principal).load(draft_id)
    pending = interview.pending(bank)
    lang = interview.language
    if not pending:
        return render(
            request,
            "screen_done.html",
            principal,
            csrf,
            result=interview.result(bank),
            draft_id=draft_id,
            today=dt.date.today().isoformat(),
        )
    item = pending[0]
    number, total = interview.progress(bank)
    progress = f"{number} / {total}"
    return render(
        request,
        "screen_question.html",
        principal,
        csrf,
        item=item,
        ilang=lang,
        draft_id=draft_id,
        number=number,
        progress=progress,
        phase=bank.ui["phase"][item.phase][lang],
        intro=bank.ui["intro"][lang],
        title=bank.instrument(interview.instrument).title[lang],
    )


@router.post("/screen/{draft_id}")
def answer(
    draft_id: uuid.UUID,
    services: ServicesDep,
    found: FormSession,
    item: Annotated[str, Form(max_length=10)],
    answer: Annotated[str, Form(max_length=10)],
) -> Response:
    principal = found[0]
    bank = load_bank()
    with services.store.transaction() as session:
        drafts = Drafts(session, services.store.cipher, principal)
        interview = drafts.load(draft_id)
        if answer == "stop":
            return RedirectResponse("/", status_code=303)
        if answer == "skip":
            interview = interview.skip(item)
        elif answer in ANSWERS:
            source = EvidenceSource.OBSERVATION if bank.item(item).mode == "observe" else EvidenceSource.SELF_REPORT
            now = dt.datetime.now(dt.UTC).replace(microsecond=0)
            interview = interview.record(item, ANSWERS[answer], source, bank, at=now)
        else:
            raise ValidationError(f"unknown answer {answer!r}", field="answer")
        drafts.save(interview, draft_id)
    return RedirectResponse(f"/screen/{draft_id}", status_code=303)


@router.post("/screen/{draft_id}/register")
def register(
    draft_id: uuid.UUID,
    services: ServicesDep,
    found: FormSession,
    opened_on: Annotated[dt.date, Form()],
    consent_interview: Annotated[bool, Form()] = False,
    consent_referral: Annotated[bool, Form()] = False,
) -> Response:
    principal = found[0]
    with workspace(services.store, principal) as ws:
        drafts = Drafts(ws.session, services.store.cipher, principal)
        result = drafts.load(draft_id).result(load_bank())
        case_id = ws.open_case(opened_on)
        for purpose, given in (("interview", consent_interview), ("referral", consent_referral)):
            if given:
                ws.record_consent(case_id, purpose, granted=True, decided_on=opened_on)
        ws.store_screening(case_id, result)
        drafts.delete(draft_id)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)
