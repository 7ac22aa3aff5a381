"""A KPI with a dimension keeps a row per value and no total row (dim ''): the totals are sums of the
values' rows. Existing total rows of such KPIs go, so that nothing is counted twice before the next
refresh."""

from django.db import migrations

SQL = """
DELETE FROM {table} WHERE dim = '' AND kpi IN (SELECT DISTINCT kpi FROM {table} WHERE dim <> '')
"""


class Migration(migrations.Migration):
    dependencies = [("insights", "0006_cut_rollups")]

    operations = [
        migrations.RunSQL(SQL.format(table="insights_kpirollup"), migrations.RunSQL.noop),
        migrations.RunSQL(SQL.format(table="insights_kpicutrollup"), migrations.RunSQL.noop),
    ]
