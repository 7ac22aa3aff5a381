"""The kernel's 公示 (public notice) service: a notice with masked names, a period, objections and their
resolution, a console page, a PDF and a signed public link. A domain keeps its own concrete tables
(subclasses of `models.NoticeBase`, `NoticeEntryBase`, `NoticeObjectionBase`), describes them and its
hooks in a `services.NoticeScheme`, and calls `services`."""
