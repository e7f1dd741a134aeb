"""Privacy-preserving publication: the CTDC-style publication schema, generalisation hierarchies,
k-anonymity with an independent checker, DP aggregate tables and DP synthetic microdata through OpenDP,
and the privacy-loss ledger of each source dataset."""

from ctdx.privacy.aggregates import (
    AggregateRelease,
    AggregateTable,
    Breakdown,
    dp_aggregates,
    select_breakdowns,
    standard_breakdowns,
)
from ctdx.privacy.checks import KCheck, check_k_anonymity
from ctdx.privacy.hierarchies import TOP, Hierarchy, build_hierarchy, m49_subregions
from ctdx.privacy.kanon import KAnonymousTable, anonymise
from ctdx.privacy.ledger import Entry, Ledger, Override, create_ledger, load_ledger, spend
from ctdx.privacy.publication import Issue, Publication, checkbox_consent, publish_records
from ctdx.privacy.schema import MISSING, Column, PublicationSchema, PublicationTable, load_publication_schema
from ctdx.privacy.synthesis import SyntheticData, synthesise

__all__ = [
    "MISSING",
    "TOP",
    "AggregateRelease",
    "AggregateTable",
    "Breakdown",
    "Column",
    "Entry",
    "Hierarchy",
    "Issue",
    "KAnonymousTable",
    "KCheck",
    "Ledger",
    "Override",
    "Publication",
    "PublicationSchema",
    "PublicationTable",
    "SyntheticData",
    "anonymise",
    "build_hierarchy",
    "check_k_anonymity",
    "checkbox_consent",
    "create_ledger",
    "dp_aggregates",
    "load_ledger",
    "load_publication_schema",
    "m49_subregions",
    "publish_records",
    "select_breakdowns",
    "spend",
    "standard_breakdowns",
    "synthesise",
]
