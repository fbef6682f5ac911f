from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "beacon.core"
    label = "core"
