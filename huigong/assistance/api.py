"""Routers this app adds to /api/v1/ (huigong/api/api.py mounts every (prefix, router, tags) in ROUTERS)."""

from .api_files import ROUTERS as _files
from .api_flow import ROUTERS as _flow

ROUTERS: list = [*_files, *_flow]
