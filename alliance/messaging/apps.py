from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "alliance.messaging"
    label = "messaging"
    verbose_name = "Message delivery"

    def ready(self):
        from alliance.messaging import (
            selectors,  # noqa: F401 (the participant page's texting panel)
            sms,  # noqa: F401 (the texts of answers and notes register with delivery)
        )
