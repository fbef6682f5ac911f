from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "beacon.orgs"
    label = "orgs"
