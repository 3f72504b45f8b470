"""Events of the participants app that the apps above it act on (docs/architecture.md): sent
explicitly by participants/services.py inside the change's transaction, so a receiver's writes
commit or roll back with it."""

from django.dispatch import Signal

# A participant moved to another peer. Arguments: participant, by (the user).
participant_transferred = Signal()
