from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "personastudio.accounts"
    label = "accounts"
