"""The notifications outbox (kernel): `notify(...)` inside a decision's transaction; channels, events and
contact resolvers registered by the apps (channels.py). See services.py and docs/architecture.md."""
