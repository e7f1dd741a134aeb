"""``ctdx screen``: a screening interview in the terminal, resumable, offline, scriptable through a pipe.

Questions come from the indicator bank in the chosen language; each answer is one key (y/n/u/d, s to skip
for now, q to stop). The draft is saved after every answer; ``--resume`` continues it. At the end the
explanation is printed and the result written as JSON with ``--out``. All logic is in ``ctdx.screening``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

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

app = typer.Typer(help="Screen a person with an instrument of the indicator bank.")

DEFAULT_DRAFT = Path("ctdx-screening-draft.json")


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
            line = sys.stdin.readline()
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
) -> None:
    """Run a screening interview; print the explained result and optionally write it as JSON."""
    with cli_errors():
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
        console.print(
            f"The draft {draft_path} still holds the answers: delete it once the result is stored.",
            markup=False,
            highlight=False,
        )
