"""The case store: HTCDS tables, field encryption, the hash-chained audit log and organisation-scoped repositories.

``open_store(settings, create=...)`` gives a ``Store``; ``Store.import_cases`` imports records in one
transaction; ``Store.cases(actor)`` gives the ``CaseRepository`` of what that actor may see.
"""

from ctdx.store.actor import Actor, Role
from ctdx.store.audit import AuditReport, verify_audit
from ctdx.store.importer import ImportOutcome
from ctdx.store.keyring import Keyring, init_keyring, load_keyring
from ctdx.store.repositories import CaseRepository, CaseSummary, ConsentInfo
from ctdx.store.rotation import RotationOutcome, rotate_keys
from ctdx.store.schema import SchemaStatus, head_revision, schema_status, upgrade
from ctdx.store.store import CaseCounts, OrganisationRef, Store, open_store

__all__ = [
    "Actor",
    "AuditReport",
    "CaseCounts",
    "CaseRepository",
    "CaseSummary",
    "ConsentInfo",
    "ImportOutcome",
    "Keyring",
    "OrganisationRef",
    "Role",
    "RotationOutcome",
    "SchemaStatus",
    "Store",
    "head_revision",
    "init_keyring",
    "load_keyring",
    "open_store",
    "rotate_keys",
    "schema_status",
    "upgrade",
    "verify_audit",
]
