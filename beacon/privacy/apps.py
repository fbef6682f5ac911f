from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "beacon.privacy"
    label = "privacy"
