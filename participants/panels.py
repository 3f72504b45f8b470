"""Sections the feature apps add to a participant's staff page.

participants sits below the feature apps (docs/architecture.md), so its page cannot ask them
for their figures. Each registers a panel instead, in its AppConfig.ready(): a template and a
function of the participant that gives the template its `figures`. The page renders them in
the order the apps are installed."""

from collections.abc import Callable
from dataclasses import dataclass

from participants.models import Participant


@dataclass(frozen=True)
class Panel:
    template: str
    figures: object


_PANELS: list[tuple[str, Callable[[Participant], object]]] = []


def participant_panel(template: str):
    """Register the decorated function as the figures of a panel rendered with `template`."""

    def register(function: Callable[[Participant], object]):
        if all(existing != template for existing, _function in _PANELS):
            _PANELS.append((template, function))
        return function

    return register


def participant_panels(participant: Participant) -> list[Panel]:
    return [Panel(template, figures(participant)) for template, figures in _PANELS]
