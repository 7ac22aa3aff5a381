"""The date the honours rules read as "today" (notice periods, entitlements due), and the one way to move
it: `travel(day)`, for the demo and the tests. A context variable, so it never leaks to another request."""

from huigong.core.clock import Clock

_clock = Clock("honours")
_at = _clock._at  # the state-machine tests set the day directly
today = _clock.today
travel = _clock.travel
