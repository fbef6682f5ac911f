from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "beacon.demo"
    label = "demo"
