from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "beacon.ingest"
    label = "ingest"
