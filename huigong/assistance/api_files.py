"""Routers of the files side; huigong/assistance/api.py collects them."""

ROUTERS: list = []
