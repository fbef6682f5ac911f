from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "beacon.outcomes"
    label = "outcomes"
