from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo world (builders, people, the bulk loader) and the commands that make and wipe one:
    seed_demo, flush (refused outside a demo or test database) and generate_federation. Installed for
    those commands only: it has no models, and it sits above every app it fills (docs/architecture.md)."""

    name = "huigong.demo"
    layer = "tools"  # huigong.core.layers: imports go down only
    label = "demo"
    verbose_name = "演示数据"
