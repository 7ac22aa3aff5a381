from types import SimpleNamespace


def entries_for_person(person) -> list:
    """The worker's own entries (a real app queries its tables, filtered by person)."""
    return [SimpleNamespace(status="submitted", programme=SimpleNamespace(title="西湖读书会"), submitted_at=None)]
