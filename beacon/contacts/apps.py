from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "beacon.contacts"
    label = "contacts"
