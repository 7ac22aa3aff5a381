"""Routers this app adds to /api/v1/ (huigong/api/api.py mounts every (prefix, router, tags) in ROUTERS)."""

ROUTERS: list = []
