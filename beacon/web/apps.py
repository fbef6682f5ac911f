from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "beacon.web"
    label = "web"
