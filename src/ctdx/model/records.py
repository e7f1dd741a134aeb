"""A case as it travels between readers, the generator and the store: HTCDS field values, already typed.

One ``CaseRecord`` is one case of one person: the ``prs_``, ``vic_``, ``cas_``, ``con_`` and ``ext_``
values in ``values``, and the repeated parts (historic trafficking events, perpetrators, support plans)
as lists of their own field maps. Keys are standard field names (``ctdx.standard``); values are typed:

| field type | Python value |
|---|---|
| text, long text, picklist, lookup | ``str`` (picklists hold system names) |
| multiselect picklist | ``tuple[str, ...]`` in the standard's value order |
| date | ``datetime.date`` |
| number, geolocation | ``int`` or ``float`` |
| checkbox | ``bool`` |

A field that is absent is unknown; there is no sentinel value for "missing".
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

FieldValue = str | tuple[str, ...] | dt.date | int | float | bool
FieldMap = dict[str, FieldValue]


class SourceRef(BaseModel):
    """Where a record came from: the system and its own record id (re-imports replace, never duplicate)."""

    model_config = ConfigDict(frozen=True)

    system: Annotated[str, Field(min_length=1, max_length=200)]
    record_id: Annotated[str, Field(min_length=1, max_length=200)]


class CaseRecord(BaseModel):
    """One case of one person, in HTCDS terms."""

    model_config = ConfigDict(frozen=True)

    source: SourceRef
    values: FieldMap = Field(default_factory=dict)
    events: tuple[FieldMap, ...] = ()
    perpetrators: tuple[FieldMap, ...] = ()
    support_plans: tuple[FieldMap, ...] = ()

    def get(self, name: str) -> FieldValue | None:
        return self.values.get(name)
