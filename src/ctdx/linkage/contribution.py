"""Contribution packages: what an organisation sends the hub, signed so the hub knows who sent it.

A package holds, for each case whose consent allows sharing with the hub, a pseudonymous case reference,
the de-identified HTCDS fields, and the linkage encodings (``encoding``). No name, birth date, identity
number, contact, address or free text leaves the organisation: only picklists, multi-selects, checkboxes,
numbers and country codes of non-identifying fields, and dates reduced to their year.

An organisation may declare that its package holds at most one record per person (``one_record_per_person``,
e.g. after ``ctdx contribute duplicates`` merged its own duplicates). The declaration is signed with the rest;
the hub then never puts two of that organisation's records in one person. Not declaring is the default and
is recorded too, so the hub can show which organisations declared it.

Cases without a current sharing consent are left out and their references listed as *withdrawn*, so a
hub that holds an earlier version deletes it. The case reference is an HMAC of the organisation and the
case's source under the shared linkage secret: stable across contributions (a re-contributed case
replaces its earlier version at the hub) and meaningless to the hub.

Format: a JSON envelope ``{"format", "organisation", "payload", "signature"}``; ``payload`` is the base64
of the canonical JSON payload bytes and ``signature`` the base64 Ed25519 signature of those exact bytes
(``cryptography``), so verification never depends on re-serialising JSON.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ctdx.errors import InputFileError, IntegrityError, ValidationError
from ctdx.linkage.encoding import DEFAULT_ENCODING_CONFIG, Encoder, EncodingConfig, LinkageSecret, check_encodings
from ctdx.linkage.normalise import Identity, identity_of
from ctdx.model.records import CaseRecord, FieldValue, SourceRef
from ctdx.standard import load_standard

PACKAGE_FORMAT = "ctdx-contribution/1"
SHARED_TYPES = frozenset({"picklist", "multi_picklist", "checkbox", "number"})

ConsentCheck = Callable[[CaseRecord], bool]
"""Whether a case's consent allows sharing with the hub now (the caller applies ``casework.consent``)."""


def generate_signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def signing_key_to_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_signing_key(pem: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise ValidationError("the signing key is not an unencrypted PEM private key", field="signing_key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValidationError("the signing key is not an Ed25519 key", field="signing_key")
    return key


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key as hex text, what an organisation gives the hub when it registers."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def load_public_key(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text.strip()))
    except ValueError:
        raise ValidationError("the public key is not a hex Ed25519 public key", field="public_key") from None


def case_reference(secret: LinkageSecret, organisation: str, source: SourceRef) -> str:
    """The pseudonymous, stable reference of a case at the hub."""
    message = "\x1f".join((organisation, source.system, source.record_id)).encode()
    return hmac.new(secret.derive("case-reference"), message, hashlib.sha256).hexdigest()[:32]


def deidentify(values: Mapping[str, FieldValue]) -> dict[str, Any]:
    """The HTCDS values the hub may see: non-identifying coded fields, and dates as years."""
    standard = load_standard()
    shared: dict[str, Any] = {}
    for name, value in sorted(values.items()):
        if not standard.has(name):
            continue
        spec = standard.field(name)
        if spec.identifying:
            continue
        if spec.type in SHARED_TYPES or (spec.type == "text" and spec.vocabulary == "iso3166_alpha2"):
            shared[name] = list(value) if isinstance(value, tuple) else value
        elif spec.type == "date" and isinstance(value, dt.date):
            shared[name] = value.year
    return shared


@dataclass(frozen=True)
class CaseProblem:
    """A case left out of a package because a field could not be read; never holds the value."""

    case: str
    field: str
    code: str
    message: str


@dataclass(frozen=True)
class ContributionReport:
    """A built package and what went into it."""

    package: bytes
    included: int
    withdrawn: int
    problems: tuple[CaseProblem, ...] = field(default_factory=tuple)
    one_record_per_person: bool = False
    # Which of the organisation's own cases went in: for its audit and checks; never part of the package.
    included_sources: tuple[SourceRef, ...] = field(default_factory=tuple)
    withdrawn_sources: tuple[SourceRef, ...] = field(default_factory=tuple)

    @property
    def package_id(self) -> str:
        """The id the hub gives the package: SHA-256 of its signed payload."""
        return hashlib.sha256(base64.b64decode(_envelope(self.package)["payload"])).hexdigest()


def build_contribution(
    organisation: str,
    cases: Iterable[CaseRecord],
    *,
    secret: LinkageSecret,
    signing_key: Ed25519PrivateKey,
    consented: ConsentCheck,
    config: EncodingConfig = DEFAULT_ENCODING_CONFIG,
    created: dt.datetime | None = None,
    one_record_per_person: bool = False,
) -> ContributionReport:
    """A signed package of the consented ``cases`` of ``organisation``.

    A case whose identifying fields cannot be read is reported in ``problems`` and left out (not
    withdrawn: the hub keeps its earlier version until the case is fixed). ``one_record_per_person``
    declares that the organisation's cases hold no two records of one person (module docstring).
    """
    if not organisation.strip():
        raise ValidationError("the organisation id is empty", field="organisation")
    encoder = Encoder(secret, config)
    entries: list[dict[str, Any]] = []
    withdrawn: list[str] = []
    problems: list[CaseProblem] = []
    included_sources: list[SourceRef] = []
    identities: list[Identity] = []
    withdrawn_sources: list[SourceRef] = []
    for case in cases:
        reference = case_reference(secret, organisation, case.source)
        if not consented(case):
            withdrawn.append(reference)
            withdrawn_sources.append(case.source)
            continue
        try:
            identity = identity_of(case.values)
        except ValidationError as exc:
            where = f"{case.source.system}:{case.source.record_id}"
            problems.append(CaseProblem(where, str(exc.context.get("field", "")), exc.code, exc.message))
            continue
        included_sources.append(case.source)
        identities.append(identity)
        entries.append({"ref": reference, "fields": deidentify(case.values)})
    # One batch: the encoder hashes each distinct value once and sets the bits of many records at a time.
    for entry, encodings in zip(entries, encoder.encode_many(identities).records(), strict=True):
        entry["encodings"] = {k: base64.b64encode(v).decode() if v else None for k, v in encodings.items()}
    moment = created or dt.datetime.now(dt.UTC)
    payload = {
        "format": PACKAGE_FORMAT,
        "organisation": organisation,
        "created": moment.isoformat(),
        "secret_fingerprint": secret.fingerprint,
        "encoding": config.describe(),
        "cases": entries,
        "withdrawn": sorted(withdrawn),
        "one_record_per_person": bool(one_record_per_person),
    }
    payload_bytes = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    envelope = {
        "format": PACKAGE_FORMAT,
        "organisation": organisation,
        "payload": base64.b64encode(payload_bytes).decode(),
        "signature": base64.b64encode(signing_key.sign(payload_bytes)).decode(),
    }
    return ContributionReport(
        package=json.dumps(envelope, indent=1).encode(),
        included=len(entries),
        withdrawn=len(withdrawn),
        problems=tuple(problems),
        included_sources=tuple(included_sources),
        withdrawn_sources=tuple(withdrawn_sources),
        one_record_per_person=bool(one_record_per_person),
    )


@dataclass(frozen=True)
class ContributedCase:
    ref: str
    fields: dict[str, Any]
    encodings: dict[str, bytes | None]


@dataclass(frozen=True)
class Contribution:
    """A verified package as the hub reads it."""

    package_id: str
    organisation: str
    created: dt.datetime
    secret_fingerprint: str
    encoding: dict[str, Any]
    cases: tuple[ContributedCase, ...]
    withdrawn: tuple[str, ...]
    one_record_per_person: bool = False


def package_organisation(package: bytes) -> str:
    """The organisation a package claims to come from (not yet verified): which key to check it with."""
    return str(_envelope(package)["organisation"])


def open_contribution(
    package: bytes, public_key: Ed25519PublicKey, config: EncodingConfig = DEFAULT_ENCODING_CONFIG
) -> Contribution:
    """Verify a package's signature and read it. ``IntegrityError`` if it was altered or signed by another
    key; ``InputFileError`` if it is not a package at all."""
    envelope = _envelope(package)
    try:
        payload_bytes = base64.b64decode(envelope["payload"], validate=True)
        signature = base64.b64decode(envelope["signature"], validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise InputFileError("the package payload or signature is not base64") from None
    try:
        public_key.verify(signature, payload_bytes)
    except InvalidSignature:
        raise IntegrityError(
            "the package signature does not verify: it was altered or signed by another key",
            organisation=str(envelope["organisation"]),
        ) from None
    try:
        return _read_payload(payload_bytes, str(envelope["organisation"]), config)
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error):
        raise InputFileError("the signed package payload is malformed") from None


def _read_payload(payload_bytes: bytes, claimed: str, config: EncodingConfig) -> Contribution:
    payload = json.loads(payload_bytes)
    organisation = str(payload["organisation"])
    if organisation != claimed:
        raise IntegrityError("the package envelope and payload name different organisations")
    if payload.get("format") != PACKAGE_FORMAT:
        raise InputFileError("the package format is not supported", format=str(payload.get("format")))
    declared = payload.get("one_record_per_person", False)  # absent from packages built before it existed
    if not isinstance(declared, bool):
        raise InputFileError("the package's one_record_per_person is not true or false")
    cases = []
    for entry in payload["cases"]:
        ref = str(entry["ref"])
        raw = {k: base64.b64decode(v, validate=True) if v else None for k, v in dict(entry["encodings"]).items()}
        cases.append(ContributedCase(ref, dict(entry["fields"]), check_encodings(raw, config, ref)))
    return Contribution(
        package_id=hashlib.sha256(payload_bytes).hexdigest(),
        organisation=organisation,
        created=dt.datetime.fromisoformat(payload["created"]),
        secret_fingerprint=str(payload["secret_fingerprint"]),
        encoding=dict(payload["encoding"]),
        cases=tuple(cases),
        withdrawn=tuple(str(r) for r in payload["withdrawn"]),
        one_record_per_person=declared,
    )


def _envelope(package: bytes) -> dict[str, Any]:
    try:
        envelope = json.loads(package)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputFileError("the file is not a contribution package (not JSON)") from None
    if not isinstance(envelope, dict) or envelope.get("format") != PACKAGE_FORMAT:
        raise InputFileError("the file is not a contribution package (unknown format)")
    missing = [k for k in ("organisation", "payload", "signature") if not isinstance(envelope.get(k), str)]
    if missing:
        raise InputFileError("the contribution package lacks a part", part=missing[0])
    return envelope
