"""CSV import of participants, mounted under /a/<agency_slug>/participants/import/."""

urlpatterns: list = []
