"""The case-worker web application: server-rendered pages (Jinja2, plain forms, local assets) and the JSON API.

``create_app(store, data_dir)`` builds the FastAPI application; ``demo_accounts(store)`` creates demo
organisations and users for ``make demo``.
"""

from ctdx.web.app import create_app
from ctdx.web.demo import DemoAccount, demo_accounts

__all__ = ["DemoAccount", "create_app", "demo_accounts"]
