from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "beacon.surveys"
    label = "surveys"
