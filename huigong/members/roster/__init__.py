"""Roster import and export (名册导入导出). Public entry points:

- roster_template_xlsx() -> bytes
- roster_import_start(*, actor, union, enterprise=None, upload) -> RosterImport
- roster_import_run(import_id) -> None                      (the background task body)
- roster_import_get_for_actor(actor, import_id), roster_import_list_for_actor(actor)
- members_export_xlsx(*, actor, node=None, q="", employment_form="", full_pii=False) -> ExportFile
"""

from .export import ExportFile, members_export_xlsx
from .files import RosterFileError
from .selectors import roster_import_get_for_actor, roster_import_list_for_actor
from .services import roster_import_run, roster_import_start, roster_template_xlsx

__all__ = [
    "ExportFile", "RosterFileError", "members_export_xlsx", "roster_import_get_for_actor",
    "roster_import_list_for_actor", "roster_import_run", "roster_import_start", "roster_template_xlsx",
]
