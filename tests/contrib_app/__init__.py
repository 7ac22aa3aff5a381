"""A throwaway app for tests/test_contributions.py: everything it adds to the product is declared in its
apps.py; nothing central names it. Installed only inside those tests (modify_settings)."""
