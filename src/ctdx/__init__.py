"""ctdx: the counter-trafficking data exchange.

Screening and case management on IOM's Human Trafficking Case Data Standard (HTCDS), with victims'
identifying data encrypted and every access audited; consented, de-identified exchange between
organisations; and privacy-checked open-data releases.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
