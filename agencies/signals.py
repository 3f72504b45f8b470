"""Events of the core that the apps above it act on. The core imports no domain app
(docs/architecture.md), so it announces what happened and the apps connect in their
AppConfig.ready(). Sent explicitly by the code that made the change, never by model signals."""

from django.dispatch import Signal

# A platform admin created an agency (agencies/admin.py). Arguments: agency.
agency_created = Signal()
