"""Open-data releases: Frictionless Data Packages of k-anonymous microdata, DP aggregate tables and DP
synthetic microdata, built with their privacy report and ledger, and verified from their files alone."""

from ctdx.release.build import (
    DEFAULT_QUASI_IDENTIFIERS,
    BuiltRelease,
    ReleaseConfig,
    build_release,
    read_table,
    write_publication,
)
from ctdx.release.diff import ReleaseDiff, ResourceChange, diff_releases
from ctdx.release.verify import Problem, Verification, verify_release

__all__ = [
    "DEFAULT_QUASI_IDENTIFIERS",
    "BuiltRelease",
    "Problem",
    "ReleaseConfig",
    "ReleaseDiff",
    "ResourceChange",
    "Verification",
    "build_release",
    "diff_releases",
    "read_table",
    "verify_release",
    "write_publication",
]
