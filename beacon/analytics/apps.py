from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "beacon.analytics"
    label = "analytics"
