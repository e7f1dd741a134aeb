from __future__ import annotations

import ctdx.privacy
import ctdx.release


def isort_style(name: str) -> tuple[int, str]:
    """Constants, then classes, then functions (the order ruff's RUF022 keeps ``__all__`` in)."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_the_public_apis_are_sorted_and_every_name_exists() -> None:
    for package, modules in (
        (
            ctdx.privacy,
            {
                "aggregates",
                "checks",
                "hierarchies",
                "kanon",
                "ledger",
                "publication",
                "risk",
                "schema",
                "synthesis",
                "synthesis_sampling",
                "utility",
            },
        ),
        (ctdx.release, {"build", "diff", "evaluation", "files", "report_html", "verify"}),
    ):
        exported = package.__all__
        assert exported == sorted(exported, key=isort_style)
        assert all(hasattr(package, name) for name in exported)
        public = {name for name in vars(package) if not name.startswith("_")}
        assert public - modules == set(exported)
