"""Routers of the flow side; huigong/assistance/api.py collects them."""

ROUTERS: list = []
