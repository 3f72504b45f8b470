from django.apps import AppConfig


class AllianceConfig(AppConfig):
    """The pages that bring the alliance's features together: the staff home. The feature apps
    live in this package (docs/architecture.md)."""

    name = "alliance"
    verbose_name = "Alliance"
