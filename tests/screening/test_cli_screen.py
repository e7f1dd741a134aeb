"""``ctdx screen`` driven by piped answers, as a script or a tmux session would drive it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ctdx.cli.main import app
from ctdx.screening import load_bank

runner = CliRunner(env={"COLUMNS": "250"})


def test_piped_triage_in_french_writes_the_explained_result(tmp_path: Path) -> None:
    draft, out = tmp_path / "draft.json", tmp_path / "result.json"
    args = ["screen", "--instrument", "triage", "--lang", "fr", "--draft", str(draft), "--out", str(out)]
    run = runner.invoke(app, args, input="n\nmaybe\ny\nu\nd\ns\nn\n")
    assert run.exit_code == 0, run.output
    assert load_bank().item("T01").text["fr"].split()[0] in run.output
    assert "y = oui" in run.output, "an unknown key shows the keys again"
    assert "Le dépistage rapide est positif : orienter vers une évaluation complète" in run.output
    assert "[triage.any_yes]" in run.output
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["triage"] == {"refer_for_full_assessment": True, "yes_items": ["T02"]}
    assert {k: v["value"] for k, v in result["answers"].items()} == {
        "T01": "no",
        "T02": "yes",
        "T03": "unknown",
        "T04": "declined",
        "T06": "no",
    }
    assert result["versions"]["bank"] == load_bank().version
    assert result["context"]["language"] == "fr"


def test_stopped_interview_is_resumed_where_it_stopped(tmp_path: Path) -> None:
    draft, out = tmp_path / "draft.json", tmp_path / "result.json"
    first = runner.invoke(
        app,
        [
            "screen",
            "--instrument",
            "full",
            "--lang",
            "es",
            "--age",
            "adult",
            "--exploitation",
            "labour",
            "--draft",
            str(draft),
        ],
        input="n\ny\nn\n",
    )
    assert first.exit_code == 0, first.output
    assert "--resume" in first.output
    saved = json.loads(draft.read_text(encoding="utf-8"))
    assert list(saved["answers"]) == ["AGE01", "ACT01", "CON01"]
    remaining = len(load_bank().instrument("full").items) - 3
    # DR01 yes, DR08 yes (the 8th recruitment item), and the rest answered "no" except three exploitation items.
    keys = ["n"] * remaining
    order = [i for i in load_bank().instrument("full").items if i not in saved["answers"]]
    for item in ("DR01", "DR08", "EX01", "EX04", "CD01", "CD03"):
        keys[order.index(item)] = "y"
    second = runner.invoke(app, ["screen", "--resume", str(draft), "--out", str(out)], input="\n".join(keys) + "\n")
    assert second.exit_code == 0, second.output
    assert "Hay indicadores de trata" in second.output
    assert "[delphi.adult]" in second.output
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["continuum_class"] == "trafficking_indicated"
    assert result["profile"] == {"age_group": "adult", "exploitation": "labour"}
    assert result["answers"]["AGE01"]["source"] == "observation", "observed items are recorded as observations"
    assert all(a["recorded_at"] for a in result["answers"].values())


def test_q_stops_and_saves(tmp_path: Path) -> None:
    draft = tmp_path / "draft.json"
    run = runner.invoke(app, ["screen", "--draft", str(draft)], input="y\nq\n")
    assert run.exit_code == 0
    assert "Stopped" in run.output
    assert list(json.loads(draft.read_text(encoding="utf-8"))["answers"]) == ["T01"]


def test_bad_language_and_damaged_resume_file_are_clear_errors(tmp_path: Path) -> None:
    run = runner.invoke(app, ["screen", "--lang", "de", "--draft", str(tmp_path / "d.json")])
    assert run.exit_code == 9 and "--lang must be en, fr or es" in run.output
    bad = tmp_path / "bad.json"
    bad.write_text("not json", encoding="utf-8")
    run = runner.invoke(app, ["screen", "--resume", str(bad)])
    assert run.exit_code == 11 and "not a readable JSON" in run.output


def test_a_new_interview_never_overwrites_an_existing_draft(tmp_path: Path) -> None:
    draft = tmp_path / "draft.json"
    assert runner.invoke(app, ["screen", "--draft", str(draft)], input="y\nq\n").exit_code == 0
    before = draft.read_text(encoding="utf-8")
    run = runner.invoke(app, ["screen", "--draft", str(draft)], input="n\n")
    assert run.exit_code == 8 and "--resume" in run.output
    assert draft.read_text(encoding="utf-8") == before


def test_context_options_are_checked_and_stored(tmp_path: Path) -> None:
    draft, out = tmp_path / "draft.json", tmp_path / "result.json"
    bad = runner.invoke(app, ["screen", "--identified-by", "Church", "--draft", str(draft)])
    assert bad.exit_code == 9 and "identified_by_org_type" in bad.output and "LawEnforcement" in bad.output
    args = ["screen", "--instrument", "journey", "--identified-by", "ImmigrationService", "--setting", "=border post"]
    run = runner.invoke(
        app, [*args, "--interviewer", "u-17", "--draft", str(draft), "--out", str(out)], input="n\n" * 11
    )
    assert run.exit_code == 0, run.output
    context = json.loads(out.read_text(encoding="utf-8"))["context"]
    assert context["identified_by_org_type"] == "ImmigrationService"
    assert context["interviewer"] == "u-17"
    assert context["setting"] == "'=border post", "free text is stored spreadsheet-safe"
