"""The public portal (``ctdx portal``): dashboard, release pages, JSON API and static export over releases."""

from ctdx.portal.app import create_app

__all__ = ["create_app"]
