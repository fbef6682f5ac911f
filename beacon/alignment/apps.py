from django.apps import AppConfig


class AlignmentConfig(AppConfig):
    name = "beacon.alignment"
    label = "alignment"
