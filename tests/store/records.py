"""Case records for the store tests, with identifying values distinctive enough to search a database file for."""

from __future__ import annotations

import datetime as dt

from ctdx.model import CaseRecord, SourceRef

SYSTEM = "test-system"


def family_name(i: int) -> str:
    return f"Quixhollow{i:04d}"


def given_name(i: int) -> str:
    return f"Marisbel{i:04d}"


def birth_date(i: int) -> dt.date:
    return dt.date(1961, 1 + i % 12, 1 + i % 28)


def identity_number(i: int) -> str:
    return f"ZX-{i:06d}-QV"


def record(
    i: int, *, system: str = SYSTEM, status: str = "Active", comment: str = "Met at the bus station"
) -> CaseRecord:
    return CaseRecord(
        source=SourceRef(system=system, record_id=f"R{i:05d}"),
        values={
            "prs_FirstName": given_name(i),
            "prs_SecondName": family_name(i),
            "prs_Birthdate": birth_date(i),
            "prs_IdentityNumber": identity_number(i),
            "prs_MobilePhone": f"+44770090{i:04d}",
            "prs_Gender": "Feminine" if i % 2 else "Masculine",
            "prs_Citizenship": ("VN",) if i % 3 else ("PH", "VN"),
            "vic_TraffickingStatus": "PossibleVictimOfTrafficking",
            "vic_TypeOfExploitation": ("ForcedLabour",) if i % 2 else ("ForcedLabour", "SexualExploitation"),
            "vic_AgeWhenTrafficked": 17 + i % 20,
            "ext_CountryOfExploitation": "GB" if i % 2 else "TH",
            "cas_Status": status,
            "ext_CaseOpenedDate": dt.date(2023, 5, 1 + i % 28),
            "cco_CaseComment": f"{comment} {i}",
        },
        events=(
            {"hte_Type": "Recruitment", "hte_Country": "VN", "hte_Date": dt.date(2022, 1, 3)},
            {"hte_Type": "Exploitation", "hte_Country": "GB", "hte_Description": f"Worked in a car wash {i}"},
        ),
        perpetrators=({"per_RoleInProcess": ("RecruiterOrIntermediary",), "per_RoleDetails": "the uncle"},),
        support_plans=({"spl_Type": "Health", "spl_Objectives": "See a doctor"},),
    )


def records(n: int, *, start: int = 0, **kwargs: str) -> list[CaseRecord]:
    return [record(i, **kwargs) for i in range(start, start + n)]
