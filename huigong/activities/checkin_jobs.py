"""Periodic jobs of check-in, declared through the app's contributions (name, every seconds, function)."""

JOBS = (
    ("activities.auto_checkout", 300, "huigong.activities.checkin_services.auto_checkout"),
)
