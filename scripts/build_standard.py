"""Regenerate ``src/ctdx/standard/data/htcds-2.0.json`` from the official extraction in ``../shared``.

Run by a developer when the official files change; the package never reads ``../shared`` at run time.
Normalises the documented defects of the official ODS (see data-standard.md section 3) and records, for
each field, what ctdx needs beyond the ODS: the entity it belongs to, a normalised type, and whether the
value identifies a person (and so is encrypted at rest).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "htcds" / "HTCDS_v2.0_fields.json"
TARGET = ROOT / "src" / "ctdx" / "standard" / "data" / "htcds-2.0.json"

TYPES = {
    "Text": "text",
    "Long Text": "long_text",
    "Picklist": "picklist",
    "Picklist or Text": "picklist_or_text",
    "Multiselect Picklist": "multi_picklist",
    "Date": "date",
    "Number": "number",
    "Checkbox": "checkbox",
    "Geolocation": "geolocation",
    "Lookup [to organisation]": "lookup_organisation",
    "Lookup [to person]": "lookup_person",
    "Lookup [to user]": "lookup_user",
    "": "lookup_organisation",  # per_Organisation has no type in the ODS (data-standard.md section 3)
}
ENTITIES = {
    "org_": "organisation",
    "prs_": "person",
    "vic_": "victim_context",
    "per_": "perpetrator",
    "cas_": "case",
    "cco_": "case_comment",
    "hte_": "trafficking_event",
    "spl_": "support_plan",
    "con_": "consent",
}
# Fields whose value identifies or locates a person: encrypted at rest, never logged, never published.
IDENTIFYING = {
    "prs_Salutation",
    "prs_FirstName",
    "prs_MiddleName",
    "prs_SecondName",
    "prs_Birthdate",
    "prs_IdentityNumber",
    "prs_Email",
    "prs_HomePhone",
    "prs_MobilePhone",
    "prs_MailingStreet",
    "prs_MailingCity",
    "prs_MailingState",
    "prs_MailingPostalCode",
    "prs_MailingLatitude",
    "prs_MailingLongitude",
    "prs_Title",
    "per_RoleDetails",
    "cas_ReasonForCaseClosure",
    "cas_IncomingReferralDetails",
    "cas_OutgoingReferralDetails",
    "cco_CaseComment",
    "hte_Street",
    "hte_PostalCode",
    "hte_Latitude",
    "hte_Longitude",
    "hte_Description",
    "spl_Objectives",
    "spl_ActionPlan",
    "vic_DetailsOfVulnerabilities",
}
VOCABULARIES = {
    "ISO 3166-1 alpha-2 country codes": "iso3166_alpha2",
    "ISO 639-2 language codes": "iso639_2",
}
COUNTRY_TEXT_FIELDS = {"hte_Country"}  # typed Text in the ODS, documented as ISO alpha-2
# Single-select in the ODS but select_multiple in the official XLSForm (data-standard.md: "store multi; accept
# both"): a person can be exploited in two industries, and a single value is a list of one.
MULTI_FIELDS = {"vic_ForcedLabourIndustry"}


def main() -> int:
    if not SOURCE.exists():
        print(f"missing {SOURCE}", file=sys.stderr)
        return 1
    official = json.loads(SOURCE.read_text(encoding="utf-8"))
    fields = []
    for row in official["fields"]:
        name = row["full_name"] or "per_Organisation"
        vocabulary = VOCABULARIES.get(row["controlled_vocabulary"] or "")
        if name in COUNTRY_TEXT_FIELDS:
            vocabulary = "iso3166_alpha2"
        fields.append(
            {
                "name": name,
                "entity": ENTITIES[row["prefix"] or name[:4]],
                "section": row["section"],
                "label": row["label"] or "Perpetrator Organisation",
                "type": "multi_picklist" if name in MULTI_FIELDS else TYPES[row["field_type"]],
                "official_type": row["field_type"],
                "core": bool(row["core"]),
                "status": row["status"],
                "identifying": name in IDENTIFYING,
                "vocabulary": vocabulary,
                "values": [{"name": v["name"].strip(), "label": v["label"].strip()} for v in row["values"]],
                "description": row["description"],
            }
        )
    document = {
        "standard": official["standard"],
        "version": "2.0",
        "revision": 1,
        "source": official["source"],
        "license": "CC BY 4.0, (c) International Organization for Migration (IOM); no endorsement implied",
        "fields": fields,
    }
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(fields)} fields to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
