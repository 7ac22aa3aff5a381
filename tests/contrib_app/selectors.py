def entries_for_person(person) -> list:
    return []
