from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "alliance.messaging"
    label = "messaging"
    verbose_name = "Message delivery"
