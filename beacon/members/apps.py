from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "beacon.members"
    label = "members"
