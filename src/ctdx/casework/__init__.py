"""Casework: case lifecycle, referrals and transfers gated by consent, tasks from jurisdiction packs."""
