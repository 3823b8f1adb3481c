"""HTTP API (FastAPI): thin routers over the same services the command line uses."""

from dadkhahi.api.app import create_app

__all__ = ["create_app"]
