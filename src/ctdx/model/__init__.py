"""Typed domain records shared by the importers, the store, the generator and the screening engine."""

from ctdx.model.records import CaseRecord, FieldValue, SourceRef

__all__ = ["CaseRecord", "FieldValue", "SourceRef"]
