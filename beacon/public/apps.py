from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "beacon.public"
    label = "public"
