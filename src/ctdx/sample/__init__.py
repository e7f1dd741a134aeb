"""Realistic sample cohorts: synthetic people recorded by several organisations, with the ground truth.

``generate_cohort(cases, orgs, seed)`` gives a ``Cohort`` whose chunks hold HTCDS case records whose
marginals follow the published CTDC figures (``data/marginals.json``), with names that fit each
person's citizenship and repeat records of the same person corrupted as case files differ.
``write_cohort`` writes it in the native ctdx CSV (or JSON Lines) with ``truth.csv`` beside it.
"""

from ctdx.sample.cohort import (
    CHUNK_RECORDS,
    FIELDS,
    GENERATOR_VERSION,
    Cohort,
    CohortChunk,
    Organisation,
    TruthRow,
    generate_cohort,
)
from ctdx.sample.corruption import KINDS as CORRUPTION_KINDS
from ctdx.sample.files import FORMATS, Format, default_workers, render_chunk, write_cohort
from ctdx.sample.names import NameBank, load_names
from ctdx.sample.targets import Targets, load_targets

__all__ = [
    "CHUNK_RECORDS",
    "CORRUPTION_KINDS",
    "FIELDS",
    "FORMATS",
    "GENERATOR_VERSION",
    "Cohort",
    "CohortChunk",
    "Format",
    "NameBank",
    "Organisation",
    "Targets",
    "TruthRow",
    "default_workers",
    "generate_cohort",
    "load_names",
    "load_targets",
    "render_chunk",
    "write_cohort",
]
