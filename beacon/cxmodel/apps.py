from django.apps import AppConfig


class CxmodelConfig(AppConfig):
    name = "beacon.cxmodel"
    label = "cxmodel"
