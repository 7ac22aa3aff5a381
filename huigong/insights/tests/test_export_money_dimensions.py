"""The dashboard's .xlsx export with a money KPI broken down by a dimension (an aid programme's budget by
kind): found by the page matrix, the export answered 500, the breakdown sheet dividing the dashboard's
text ("100,000.00") by 100. Each part is now written as a number in yuan."""

import io

import pytest
from python_calamine import CalamineWorkbook

from huigong.assistance.tests.flowkit import Flow

pytestmark = pytest.mark.django_db


def test_the_export_writes_money_parts_as_numbers_in_yuan(client, cast):
    Flow(cast, budget_fen=10_000_000)  # an open living-aid programme with a 100,000 yuan budget
    client.force_login(cast.city_admin)
    r = client.get("/insights/export.xlsx")
    assert r.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(r.content))
    parts = book.get_sheet_by_name("分维度").to_python()
    money = [row for row in parts[1:] if isinstance(row[3], float) and row[3] == 100_000.0]
    assert money, parts  # the budget, in yuan, a number a spreadsheet can add up
    assert not any(isinstance(row[3], str) and row[3] for row in parts[1:])
