"""The JSON API of ``ctdx serve``: routers, the envelope, the error shape and the status mapping."""
