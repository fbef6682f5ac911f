from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "beacon.pipeline"
    label = "pipeline"
