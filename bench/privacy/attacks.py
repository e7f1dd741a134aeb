"""An inference attack on a release, in the manner of anonymeter (Giomi et al., PoPETs 2023).

The logic lives in ctdx.privacy.risk; this module re-exports it under the names the bench scripts use.
"""

from __future__ import annotations

from ctdx.privacy.risk import Z95, Matrix, inference_risks, wilson

__all__ = ["Z95", "Matrix", "inference_risks", "wilson"]
