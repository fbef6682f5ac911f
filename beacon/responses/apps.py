from django.apps import AppConfig


class ResponsesConfig(AppConfig):
    name = "beacon.responses"
    label = "responses"
