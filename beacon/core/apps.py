from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "beacon.core"
    label = "core"

    def ready(self) -> None:
        from beacon.core import lookups

        lookups.register()
