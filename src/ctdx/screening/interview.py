"""An interview in progress: the questions of one instrument asked one by one, saved and resumed as JSON.

The draft holds the answers so far, the items skipped for now and the versions it was started with; it is
written after every answer (owner-only file permissions: it holds what a person said), so an interview
stopped by the person, the interviewer or a crash continues where it stopped with ``Interview.load``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from ctdx.errors import ConflictError, InputFileError, ValidationError
from ctdx.screening.answers import Answer, AnswerValue, EvidenceSource, Profile, ScreeningContext
from ctdx.screening.bank import LANGUAGES, Bank, Item, load_bank
from ctdx.screening.engine import screen
from ctdx.screening.result import ScreeningResult

DRAFT_FORMAT = "ctdx.screening.interview/1"
Language = Literal["en", "fr", "es"]

# Keys typed by the interviewer (and their spelled-out forms in the three languages).
KEYS: dict[str, AnswerValue | Literal["skip", "stop"]] = {
    "y": AnswerValue.YES,
    "yes": AnswerValue.YES,
    "oui": AnswerValue.YES,
    "si": AnswerValue.YES,
    "sí": AnswerValue.YES,
    "n": AnswerValue.NO,
    "no": AnswerValue.NO,
    "non": AnswerValue.NO,
    "u": AnswerValue.UNKNOWN,
    "d": AnswerValue.DECLINED,
    "s": "skip",
    "q": "stop",
}


def parse_key(typed: str) -> AnswerValue | Literal["skip", "stop"] | None:
    """What a typed key means, or None when it is not a key."""
    return KEYS.get(typed.strip().lower())


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable by the owner only (the file holds a person's answers)."""
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".ctdx-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Interview(BaseModel):
    """A draft interview; immutable: each step returns a new draft."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["ctdx.screening.interview/1"] = "ctdx.screening.interview/1"
    instrument: str
    instrument_version: str
    bank_version: str
    language: Language
    profile: Profile
    context: ScreeningContext
    answers: dict[str, Answer] = {}
    skipped: tuple[str, ...] = ()

    @classmethod
    def start(
        cls,
        instrument: str,
        language: Language,
        profile: Profile | None = None,
        context: ScreeningContext | None = None,
        bank: Bank | None = None,
    ) -> Interview:
        bank = bank or load_bank()
        if language not in LANGUAGES:
            raise ValidationError(f"language {language!r} is not one of {', '.join(LANGUAGES)}", field="language")
        chosen = bank.instrument(instrument)
        return cls(
            instrument=chosen.id,
            instrument_version=chosen.version,
            bank_version=bank.version,
            language=language,
            profile=profile or Profile(),
            context=(context or ScreeningContext()).model_copy(update={"language": language}),
        )

    def check_versions(self, bank: Bank) -> None:
        """ConflictError when the draft was started with another bank or instrument version."""
        chosen = bank.instrument(self.instrument)
        if (self.bank_version, self.instrument_version) != (bank.version, chosen.version):
            raise ConflictError(
                f"the draft was started with indicator bank {self.bank_version} / {self.instrument} "
                f"{self.instrument_version}; this ctdx has {bank.version} / {chosen.version}",
                instrument=self.instrument,
            )

    def pending(self, bank: Bank) -> tuple[Item, ...]:
        """Items still to ask, in instrument order (answered and skipped ones are left out)."""
        done = set(self.answers) | set(self.skipped)
        return tuple(bank.item(i) for i in bank.instrument(self.instrument).items if i not in done)

    def progress(self, bank: Bank) -> tuple[int, int]:
        total = len(bank.instrument(self.instrument).items)
        return total - len(self.pending(bank)) + 1, total

    def record(
        self,
        item_id: str,
        value: AnswerValue,
        source: EvidenceSource,
        bank: Bank,
        at: dt.datetime | None = None,
    ) -> Interview:
        """The draft with ``item_id`` answered (``at``: when, given by the caller; the library reads no clock)."""
        if item_id not in bank.instrument(self.instrument).items:
            raise ValidationError(f"item {item_id} is not asked by instrument {self.instrument}", item=item_id)
        answers = {**self.answers, item_id: Answer(value=value, source=source, recorded_at=at)}
        return self.model_copy(update={"answers": answers, "skipped": tuple(s for s in self.skipped if s != item_id)})

    def skip(self, item_id: str) -> Interview:
        return self.model_copy(update={"skipped": (*self.skipped, item_id)})

    def result(self, bank: Bank | None = None) -> ScreeningResult:
        """Score the answers so far; skipped and unasked items count as not asked."""
        bank = bank or load_bank()
        self.check_versions(bank)
        return screen(self.instrument, self.answers, self.profile, context=self.context, bank=bank)

    def save(self, path: Path) -> None:
        write_private(path, self.model_dump_json(indent=2))

    @classmethod
    def load(cls, path: Path) -> Interview:
        """The draft saved at ``path``; InputFileError saying what is wrong if it cannot be read."""
        try:
            raw = json.loads(path.expanduser().read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputFileError(f"no interview draft at {path}", path=str(path)) from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputFileError(f"{path} is not a readable JSON interview draft ({type(exc).__name__})") from None
        if not isinstance(raw, dict) or raw.get("format") != DRAFT_FORMAT:
            raise InputFileError(f"{path} is not a ctdx interview draft (format {DRAFT_FORMAT} expected)")
        try:
            return cls.model_validate(raw)
        except PydanticValidationError as exc:
            where = "; ".join(".".join(str(p) for p in e["loc"]) + f": {e['msg']}" for e in exc.errors())
            raise InputFileError(f"{path} is a damaged interview draft: {where}", path=str(path)) from None
