from django.apps import AppConfig


class LoopConfig(AppConfig):
    name = "beacon.loop"
    label = "loop"
