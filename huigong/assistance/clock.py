"""The date the 公示 (notice) rules read as "today", and the one way to move it.

A notice can start no earlier than today and ends `days` later; notice_end refuses before ends_on.
Nothing a user sends can move this clock: only code can, with `travel(day)` — the demo (which builds
last month's rounds) and the tests (which let a notice period pass) use it instead of backdating
starts_on. The override lives in a context variable, so it never leaks to another request or thread."""

from huigong.core.clock import Clock

_clock = Clock("assistance")
_at = _clock._at  # the state-machine tests set the day directly
today = _clock.today
travel = _clock.travel
