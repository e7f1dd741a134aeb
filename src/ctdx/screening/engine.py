"""The screening engine: answers + profile + instrument -> a ScreeningResult. Pure, versioned, deterministic.

``screen`` reads no clock, no network and no database; the same answers under the same engine and bank
versions always give the same result. Every answer it is given is scored (one interview can feed several
instruments); the instrument decides which unanswered items are reported as missing evidence and which
are tried as "would change the result". Rules and their sources are in ``ctdx.screening.rules``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ctdx.errors import ValidationError
from ctdx.screening.answers import (
    UNANSWERED,
    AgeGroup,
    Answer,
    AnswerValue,
    ExploitationKind,
    Profile,
    ScreeningContext,
)
from ctdx.screening.bank import DIMENSION_NAMES, DIMENSIONS, WEIGHT_TABLES, Bank, Role, load_bank
from ctdx.screening.explain import explain
from ctdx.screening.referrals import Finding, ReferralCatalogue, load_referral_catalogue
from ctdx.screening.result import (
    ContinuumClass,
    DimensionOutcome,
    ElementFinding,
    ElementStatus,
    FiredRule,
    ForcedLabourOutcome,
    IndicatorHit,
    JourneyOutcome,
    ScreeningResult,
    TriageOutcome,
    Versions,
    WouldChange,
)
from ctdx.screening.rules import (
    RULES,
    adult_rule,
    any_means,
    child_rule,
    dimension_clause,
    recruitment_means,
)
from ctdx.standard import load_standard

ENGINE_VERSION = "1.0.0"

AnswerInput = Answer | AnswerValue | str


@dataclass(frozen=True)
class _Evaluation:
    """Everything but the what-if analysis, referrals and explanation."""

    rule_applied: str
    tables: tuple[str, ...]
    age_to_verify: bool
    triage: TriageOutcome
    dimensions: tuple[DimensionOutcome, ...]
    delphi_indicated: bool
    elements: tuple[ElementFinding, ...]
    forced_labour: ForcedLabourOutcome
    journey: JourneyOutcome
    continuum: ContinuumClass
    trafficking_indicated: bool
    fired: tuple[FiredRule, ...]
    smuggling: tuple[str, ...]
    consent: bool
    violence: bool
    labour_breach: bool
    exploitation: bool

    def summary(self) -> dict[str, str]:
        """The decisive outcomes as comparable strings (for the "would change" analysis).

        The Palermo element statuses are left out: almost any answer moves one of them from unknown to
        present, and listing every such item would bury the answers that change a conclusion.
        """
        out = {
            "continuum_class": self.continuum.value,
            "trafficking_indicated": str(self.trafficking_indicated),
            "refer_for_full_assessment": str(self.triage.refer_for_full_assessment),
            "forced_labour": str(self.forced_labour.positive),
            "journey_indicators": str(self.journey.indicated),
            "rule_applied": self.rule_applied,
        }
        out.update({d.dimension: "positive" if d.positive else "negative" for d in self.dimensions})
        return out


def normalise_answers(bank: Bank, answers: Mapping[str, AnswerInput]) -> dict[str, Answer]:
    """Answers keyed by item id as ``Answer`` records; ValidationError naming every unknown item or bad state."""
    known = bank.item_ids()
    problems: list[str] = []
    out: dict[str, Answer] = {}
    for item_id in sorted(answers):
        raw = answers[item_id]
        if item_id not in known:
            problems.append(f"{item_id!r} is not an item of indicator bank {bank.version}")
            continue
        if isinstance(raw, Answer):
            out[item_id] = raw
        elif isinstance(raw, str) and raw in AnswerValue.__members__.values():
            out[item_id] = Answer(value=AnswerValue(raw))
        else:
            states = ", ".join(v.value for v in AnswerValue)
            problems.append(f"{item_id}: not an answer state (expected one of {states})")
    if problems:
        raise ValidationError("; ".join(problems), problems=problems)
    return out


def _tables(profile: Profile, age_to_verify: bool) -> tuple[str, tuple[str, ...]]:
    """The rule (adult or child) and the Delphi weight tables in play."""
    kinds = ("labour", "sexual") if profile.exploitation == ExploitationKind.UNKNOWN else (profile.exploitation.value,)
    ages: tuple[str, ...]
    if profile.age_group == AgeGroup.CHILD:
        rule, ages = "child", ("child",)
    elif age_to_verify:
        rule, ages = "child", ("child", "adult")
    else:
        rule, ages = "adult", ("adult",)
    tables = tuple(t for t in WEIGHT_TABLES if t in {f"{a}_{k}" for a in ages for k in kinds})
    return rule, tables


def _fire(rule_id: str, *evidence: str) -> FiredRule:
    rule = RULES[rule_id]
    return FiredRule(rule=rule.id, statement=rule.statement, source=rule.source, evidence=tuple(evidence))


def _evaluate(
    bank: Bank,
    answers: Mapping[str, Answer],
    profile: Profile,
    relevant: frozenset[str],
    period: str | None,
    *,
    detail: bool = True,
) -> _Evaluation:
    """The outcome of ``answers``; ``detail=False`` (the what-if trials) skips the missing-evidence report and
    the absent/unknown distinction, which the trials never compare."""
    ix = bank.index
    yes = frozenset(i for i, a in answers.items() if a.value == AnswerValue.YES)

    def unanswered(item_id: str) -> bool:
        return item_id not in answers or answers[item_id].value in UNANSWERED

    open_items = frozenset(i for i in relevant if unanswered(i)) if detail else frozenset()

    def yes_of(items: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(i for i in items if i in yes)

    minority = yes_of(ix.by_role[Role.MINORITY_SIGN])
    age_to_verify = profile.age_group == AgeGroup.UNKNOWN and bool(minority)
    rule_applied, tables = _tables(profile, age_to_verify)

    dimensions = []
    for dim in DIMENSIONS:
        items = ix.by_dimension[dim]
        yes_items = tuple(i.id for i in items if i.id in yes)
        positive_under, clause = [], None
        for table in tables:
            weights = ix.weights[table]
            found = dimension_clause(weights[i] for i in yes_items if i in weights)
            if found:
                positive_under.append(table)
                clause = clause or f"{found} ({table})"
        dimensions.append(
            DimensionOutcome(
                dimension=dim,
                name=DIMENSION_NAMES[dim],
                positive=bool(positive_under),
                clause=clause,
                positive_under=tuple(positive_under),
                yes_items=yes_items,
                missing_items=tuple(i.id for i in items if i.id in open_items),
                asked_items=sum(1 for i in items if i.id in relevant) if detail else 0,
            )
        )
    pos = {d.dimension: d.positive for d in dimensions}

    involuntary = yes_of(ix.involuntariness)
    penalty = yes_of(ix.threat_of_penalty)
    forced = ForcedLabourOutcome(
        positive=bool(involuntary and penalty),
        involuntariness=involuntary,
        threat_of_penalty=penalty,
        reference_period=period,
    )

    elements = []
    status: ElementStatus
    element: Literal["act", "means", "purpose"]
    for element in ("act", "means", "purpose"):
        supporting = ix.supporting[element]
        found_yes = list(yes_of(supporting))
        if element == "purpose" and forced.positive:
            found_yes.append("icls.forced_labour")
        if found_yes:
            status = "present"
        elif not detail or not relevant.intersection(supporting) or open_items.intersection(supporting):
            status = "unknown"
        else:
            status = "absent"
        elements.append(ElementFinding(element=element, status=status, supporting=tuple(found_yes)))
    act = elements[0].status == "present"
    act_items = elements[0].supporting
    means_items = elements[1].supporting

    triage_yes = yes_of(bank.instrument("triage").composite)
    triage = TriageOutcome(refer_for_full_assessment=bool(triage_yes), yes_items=triage_yes)
    journey_yes = yes_of(bank.instrument("journey").composite)
    journey = JourneyOutcome(
        indicated=bool(journey_yes),
        yes_items=journey_yes,
        violence_on_journey=any(ix.items[i].phase == "transit" for i in yes & ix.violence),
        family_member_affected=bool(yes_of(ix.by_role[Role.JOURNEY_FAMILY])),
    )
    intended = yes_of(ix.by_role[Role.INTENDED_PURPOSE])
    named_purpose = yes_of(ix.by_role[Role.EXPLOITATION_PURPOSE])
    smuggling = yes_of(ix.by_role[Role.SMUGGLING])
    consent = yes_of(ix.by_role[Role.CONSENT])

    def dims(*names: str) -> tuple[str, ...]:
        return tuple(n for n in names if pos[n])

    fired: list[FiredRule] = []
    if age_to_verify:
        fired.append(_fire("age.presumption", *minority))
    for d in dimensions:
        if d.positive:
            # Only the items listed in a weight table that made the dimension positive count as evidence.
            counted = [i for i in d.yes_items if any(i in ix.weights[t] for t in d.positive_under)]
            fired.append(_fire("delphi.dimension_positive", d.dimension, *counted))
    trafficking: list[FiredRule] = []
    if rule_applied == "child":
        if child_rule(act, pos):
            trafficking.append(_fire("delphi.child", *act_items, "D4"))
        if act and intended:
            trafficking.append(_fire("palermo.intent", *act_items, *intended))
        if act and named_purpose:
            trafficking.append(_fire("palermo.exploitation_purpose", *act_items, *named_purpose))
        if act and forced.positive:
            trafficking.append(_fire("palermo.forced_labour", *act_items, "icls.forced_labour"))
    else:
        if adult_rule(pos):
            trafficking.append(_fire("delphi.adult", *dims("D1", "D2", "D3", "D4", "D5", "D6")))
        if act and recruitment_means(pos) and intended:
            trafficking.append(_fire("palermo.intent", *act_items, *dims("D1", "D2", "D3"), *intended))
        if act and any_means(pos) and named_purpose:
            trafficking.append(
                _fire("palermo.exploitation_purpose", *act_items, *dims("D1", "D2", "D3", "D5", "D6"), *named_purpose)
            )
        if act and any_means(pos) and forced.positive:
            trafficking.append(
                _fire("palermo.forced_labour", *act_items, *dims("D1", "D2", "D3", "D5", "D6"), "icls.forced_labour")
            )
    fired += trafficking
    if forced.positive:
        fired.append(_fire("icls.forced_labour", *involuntary, *penalty))
    if consent and means_items:
        fired.append(_fire("consent.irrelevant", *consent, *means_items))
    if smuggling:
        fired.append(_fire("smuggling.separate", *smuggling))
    if triage.refer_for_full_assessment:
        fired.append(_fire("triage.any_yes", *triage_yes))
    if journey.indicated:
        fired.append(_fire("journey.any_yes", *journey_yes))

    labour_yes = yes_of(ix.labour)
    if trafficking:
        continuum = ContinuumClass.TRAFFICKING_INDICATED
    elif forced.positive:
        continuum = ContinuumClass.FORCED_LABOUR
    elif pos["D4"]:
        continuum = ContinuumClass.EXPLOITATION
        fired.append(_fire("continuum.exploitation", "D4", *dimensions[3].yes_items))
    elif labour_yes:
        continuum = ContinuumClass.LABOUR_RIGHTS_VIOLATION
        fired.append(_fire("continuum.labour_rights_violation", *labour_yes))
    else:
        continuum = ContinuumClass.NO_INDICATION

    return _Evaluation(
        rule_applied=rule_applied,
        tables=tables,
        age_to_verify=age_to_verify,
        triage=triage,
        dimensions=tuple(dimensions),
        delphi_indicated=any(r.rule in ("delphi.adult", "delphi.child") for r in trafficking),
        elements=tuple(elements),
        forced_labour=forced,
        journey=journey,
        continuum=continuum,
        trafficking_indicated=bool(trafficking),
        fired=tuple(fired),
        smuggling=smuggling,
        consent=bool(consent),
        violence=bool(yes & ix.violence),
        labour_breach=bool(labour_yes),
        exploitation=pos["D4"],
    )


def _would_change(
    bank: Bank,
    answers: Mapping[str, Answer],
    profile: Profile,
    relevant: frozenset[str],
    candidates: tuple[str, ...],
    base: _Evaluation,
) -> tuple[WouldChange, ...]:
    """Each unanswered candidate item whose "yes" alone would change the outcome, and what would change."""
    before = base.summary()
    out = []
    for item_id in candidates:
        if item_id in answers and answers[item_id].value not in UNANSWERED:
            continue
        trial = {**answers, item_id: Answer(value=AnswerValue.YES)}
        after = _evaluate(bank, trial, profile, relevant, None, detail=False).summary()
        changes = tuple(f"{k}: {before[k]} -> {after[k]}" for k in before if before[k] != after[k])
        if changes:
            out.append(WouldChange(item=item_id, changes=changes))
    return tuple(out)


def _hits(bank: Bank, answers: Mapping[str, Answer]) -> tuple[IndicatorHit, ...]:
    hits = []
    for item in bank.items:
        answer = answers.get(item.id)
        if answer is None or answer.value != AnswerValue.YES:
            continue
        hits.append(
            IndicatorHit(
                item=item.id,
                source=item.source,
                evidence=answer.source.value,
                elements=item.elements,
                dimension=item.dimension,
                weights={t: w for t in WEIGHT_TABLES if (w := item.weight(t)) is not None},
                ilo11=item.ilo11,
                icls=item.icls,
            )
        )
    return tuple(hits)


def _htcds_values(bank: Bank, answers: Mapping[str, Answer]) -> dict[str, tuple[str, ...]]:
    """HTCDS values the "yes" items fill, in the standard's value order."""
    found: dict[str, set[str]] = {}
    for item in bank.items:
        if item.id in answers and answers[item.id].value == AnswerValue.YES:
            for field, value in item.htcds_values():
                found.setdefault(field, set()).add(value)
    standard = load_standard()
    return {f: tuple(v for v in standard.field(f).value_names if v in vs) for f, vs in sorted(found.items())}


def screen(
    instrument: str,
    answers: Mapping[str, AnswerInput],
    profile: Profile | None = None,
    *,
    context: ScreeningContext | None = None,
    bank: Bank | None = None,
    catalogue: ReferralCatalogue | None = None,
) -> ScreeningResult:
    """Score ``answers`` (item id -> answer) for a person of ``profile`` under ``instrument``.

    Raises ValidationError (every problem at once) for unknown item ids or answer states, NotFoundError for
    an unknown instrument. The result never states a trafficking status: see ``ctdx.screening.status``.
    """
    bank = bank or load_bank()
    catalogue = catalogue or load_referral_catalogue()
    profile = profile or Profile()
    context = context or ScreeningContext()
    chosen = bank.instrument(instrument)
    given = normalise_answers(bank, answers)
    relevant = frozenset(chosen.items) | frozenset(given)
    base = _evaluate(bank, given, profile, relevant, context.reference_period)
    findings: dict[Finding, bool] = {
        "triage_positive": base.triage.refer_for_full_assessment,
        "journey_indicators": base.journey.indicated,
        "trafficking_indicated": base.trafficking_indicated,
        "forced_labour": base.forced_labour.positive,
        "exploitation": base.exploitation,
        "labour_rights_violation": base.labour_breach,
        "violence": base.violence,
        "coercion": any_means({d.dimension: d.positive for d in base.dimensions}),
        "smuggling": bool(base.smuggling),
        "child": profile.age_group == AgeGroup.CHILD,
        "age_to_verify": base.age_to_verify,
    }
    result = ScreeningResult(
        versions=Versions(
            engine=ENGINE_VERSION,
            bank=bank.version,
            weights=bank.weights_version,
            weights_verified=bank.weights_verified,
            instrument=chosen.id,
            instrument_version=chosen.version,
            referral_catalogue=catalogue.version,
        ),
        instrument=chosen.id,
        # The UN Protocol's test; the US TVPA differs (child shortcut for sex trafficking only, domain.md 1.3).
        legal_test="Palermo",
        profile=profile,
        context=context,
        rule_applied="child" if base.rule_applied == "child" else "adult",
        weight_tables=base.tables,
        age_to_verify=base.age_to_verify,
        triage=base.triage,
        dimensions=base.dimensions,
        delphi_indicated=base.delphi_indicated,
        legal_elements=base.elements,
        forced_labour=base.forced_labour,
        journey=base.journey,
        continuum_class=base.continuum,
        trafficking_indicated=base.trafficking_indicated,
        fired_rules=base.fired,
        indicators=_hits(bank, given),
        would_change=_would_change(bank, given, profile, relevant, chosen.items, base),
        suggested_referrals=catalogue.suggest(findings, context.language or "en"),
        smuggling_facts=base.smuggling,
        consent_recorded=base.consent,
        htcds_values=_htcds_values(bank, given),
        proposed_status="PossibleVictimOfTrafficking" if base.trafficking_indicated else None,
        answers=given,
        explanation=(),
    )
    return result.model_copy(update={"explanation": explain(result)})


def rescore(stored: ScreeningResult, *, bank: Bank | None = None) -> ScreeningResult:
    """The stored result's answers scored again under this engine and bank: an explicit, separate result.

    The stored result is not changed; the caller keeps both and records the re-scoring (domain.md 2.1:
    re-scoring under a new weight table is an explicit, audited action).
    """
    return screen(stored.instrument, stored.answers, stored.profile, context=stored.context, bank=bank)
