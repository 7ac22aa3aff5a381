"""Rows of the page matrix (huigong/orgs/tests/test_views_matrix.py): placeholder, filled below."""
ROUTES: dict = {}
