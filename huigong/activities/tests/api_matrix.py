def matrix_rows(Row, expect) -> dict:
    return {}
