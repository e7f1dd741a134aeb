"""``ctdx screen``: a screening interview in the terminal, resumable, offline, scriptable through a pipe.

Questions come from the indicator bank in the chosen language; each answer is one key (y/n/u/d, s to skip
for now, q to stop). The draft is saved after every answer; ``--resume`` continues it. At the end the
explanation is printed, the result written as JSON with ``--out`` and, with ``--case REF --org ORG``, stored
on the case (the case and the right to write it are checked before the first question, so nobody answers
for nothing). Scoring is in ``ctdx.screening``; cases and actors in ``ctdx.casework`` and ``ctdx.store``.
"""

from __future__ import annotations

import datetime as dt
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ctdx.cells import neutralise
from ctdx.cli.console import cli_errors, console, err_console
from ctdx.errors import ConflictError, ValidationError
from ctdx.screening import (
    AgeGroup,
    EvidenceSource,
    ExploitationKind,
    Interview,
    Profile,
    ScreeningContext,
    load_bank,
)
from ctdx.screening.bank import Bank
from ctdx.screening.interview import Language, parse_key, write_private
from ctdx.screening.result import ScreeningResult
from ctdx.settings import load_settings

if TYPE_CHECKING:
    from ctdx.casework.access import CaseworkContext
    from ctdx.store import CaseRepository

app = typer.Typer(help="Screen a person with an instrument of the indicator bank.")

DEFAULT_DRAFT = Path("ctdx-screening-draft.json")
SYSTEM_NAME = "screen"  # how the audit log names this command when no --user is given


@contextmanager
def _on_case(
    database: str | None, org: str | None, user: str | None, case: str
) -> Iterator[tuple[CaseworkContext, CaseRepository, uuid.UUID]]:
    """The acting context, the repository and the id of case ``case``, in one transaction of the store."""
    from ctdx.casework.access import CaseworkContext, find_case_by_reference
    from ctdx.casework.actors import resolve_actor
    from ctdx.store import CaseRepository, open_store

    with open_store(load_settings().with_database(database)) as store, store.transaction() as session:
        actor = resolve_actor(session, user=user, system=None if user else SYSTEM_NAME, organisation=org)
        ctx = CaseworkContext(session, store.cipher, actor)
        ctx.require_write()
        yield ctx, CaseRepository(session, store.cipher, actor), find_case_by_reference(ctx, case).id


def _check_case(database: str | None, org: str | None, user: str | None, case: str) -> None:
    """NotFoundError or PermissionDenied now, before the interview, if the result could not be stored."""
    with _on_case(database, org, user, case):
        return


def _store(result: ScreeningResult, database: str | None, org: str | None, user: str | None, case: str) -> None:
    with _on_case(database, org, user, case) as (_ctx, repo, case_id):
        stored = repo.add_screening_result(
            case_id, result.instrument, result.versions.instrument_version, result.model_dump(mode="json")
        )
    console.print(f"Stored on case {case.strip().upper()} as screening result {stored}", highlight=False)


def _text(value: str | None) -> str | None:
    return None if value is None else str(neutralise(value))


def _ask(draft: Interview, bank: Bank, source: EvidenceSource, draft_path: Path) -> tuple[Interview, bool]:
    """Ask the pending questions; the updated draft and whether the interview reached its end."""
    ui = bank.ui
    lang = draft.language
    phase = None
    for item in draft.pending(bank):
        if item.phase != phase:
            phase = item.phase
            console.print(f"\n== {ui['phase'][phase][lang]} ==", markup=False, highlight=False)
        number, total = draft.progress(bank)
        console.print(f"[{number}/{total}] {item.id}  {item.text[lang]}", markup=False, highlight=False)
        while True:
            console.print("> ", end="", markup=False, highlight=False)
            try:
                line = sys.stdin.readline()
            except KeyboardInterrupt:  # Ctrl-C is the stop button: every answer so far is already saved
                return draft, False
            if not line:
                return draft, False
            key = parse_key(line)
            if key is not None:
                break
            err_console.print(ui["keys"][lang], markup=False, highlight=False)
        if key == "stop":
            return draft, False
        if key == "skip":
            draft = draft.skip(item.id)
        else:
            item_source = EvidenceSource.OBSERVATION if item.mode == "observe" else source
            draft = draft.record(item.id, key, item_source, bank, at=dt.datetime.now(dt.UTC).replace(microsecond=0))
        draft.save(draft_path)
    return draft, True


@app.callback(invoke_without_command=True)
def screen(
    instrument: str = typer.Option("triage", help="triage, full, forced_labour or journey."),
    lang: str = typer.Option("en", "--lang", help="Language of the questions: en, fr or es."),
    age: AgeGroup = typer.Option(AgeGroup.UNKNOWN, help="Age at the time of the act."),
    exploitation: ExploitationKind = typer.Option(ExploitationKind.UNKNOWN, help="Kind of exploitation, if known."),
    source: EvidenceSource = typer.Option(EvidenceSource.SELF_REPORT, help="Source of the answers asked aloud."),
    setting: str | None = typer.Option(None, help="Where the screening takes place (shelter, border, ...)."),
    reference_period: str | None = typer.Option(None, help="Reference period for forced labour (ICLS)."),
    interpreter: bool | None = typer.Option(None, "--interpreter/--no-interpreter", help="Was an interpreter used?"),
    interviewer: str | None = typer.Option(None, help="Account or staff code of the interviewer (never a name)."),
    identified_by: str | None = typer.Option(None, help="HTCDS org_Type of the identifying organisation (NGO, ...)."),
    draft_path: Path = typer.Option(DEFAULT_DRAFT, "--draft", help="Where the draft is saved after each answer."),
    resume: Path | None = typer.Option(
        None, "--resume", help="Continue the draft in this file (its instrument, language and profile are kept)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write the result as JSON to this file."),
    case: str | None = typer.Option(None, "--case", help="Store the result on this case (its reference)."),
    org: str | None = typer.Option(None, "--org", help="Organisation code of the case (with --case)."),
    user: str | None = typer.Option(None, "--user", help="Store as this user of the store (default: the org)."),
    database: str | None = typer.Option(None, "--database", help="SQLAlchemy URL of the store (default: settings)."),
) -> None:
    """Run a screening interview; print the explained result and optionally write it as JSON."""
    with cli_errors():
        if case is not None:
            if org is None and user is None:
                raise ValidationError("--case needs --org (or --user): whose case is it?", option="--org")
            _check_case(database, org, user, case)
        elif org is not None or user is not None:
            raise ValidationError("--org and --user only serve to store the result: give --case too", option="--case")
        bank = load_bank()
        if resume is not None:
            draft = Interview.load(resume)
            draft.check_versions(bank)
            draft_path = resume
        else:
            if lang not in ("en", "fr", "es"):
                raise ValidationError(f"--lang must be en, fr or es, not {lang!r}", option="--lang")
            if draft_path.exists():
                raise ConflictError(
                    f"a draft already exists at {draft_path}: continue it with --resume {draft_path}, "
                    "or choose another --draft file",
                    path=str(draft_path),
                )
            language: Language = "en" if lang == "en" else "fr" if lang == "fr" else "es"
            context = ScreeningContext.checked(
                setting=_text(setting),
                reference_period=_text(reference_period),
                interpreter_used=interpreter,
                interviewer=_text(interviewer),
                identified_by_org_type=identified_by,
            )
            draft = Interview.start(instrument, language, Profile(age_group=age, exploitation=exploitation), context)
            draft.save(draft_path)
        lang_ui = draft.language
        console.print(bank.instrument(draft.instrument).title[lang_ui], markup=False, highlight=False)
        console.print(bank.ui["intro"][lang_ui], markup=False, highlight=False)
        console.print(bank.ui["keys"][lang_ui], markup=False, highlight=False)
        draft, finished = _ask(draft, bank, source, draft_path)
        if not finished:
            console.print(f"\nStopped. The draft is saved in {draft_path}; continue with --resume {draft_path}")
            return
        result = draft.result(bank)
        console.print()
        for line in result.explanation:
            console.print(line, markup=False, highlight=False)
        if out is not None:
            write_private(out, result.to_json())
            console.print(f"\nResult written to {out}", markup=False, highlight=False)
        if case is not None:
            _store(result, database, org, user, case)
        console.print(
            f"The draft {draft_path} still holds the answers: delete it once the result is stored.",
            markup=False,
            highlight=False,
        )
