"""Repair suggestions for each practice, drawn from the source text's guidance on building
rapport (shared/domain). Shown with an alert for the practices that dipped."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from alliance.checkins.models import Practice

SUGGESTIONS = {
    "safety": _(
        "Ask what would make the space feel safer. Restate what stays confidential and "
        "what does not, and check that they decide what is shared."
    ),
    "listening": _(
        "Give the next conversation more room: fewer questions, more reflecting back "
        "what you heard, and ask what they most want you to hear."
    ),
    "empathy": _(
        "Name the feeling you notice and check it with them. Acknowledge the challenge "
        "before moving to solutions."
    ),
    "non_judgment": _(
        "Look back at the words you used, in notes too. Ask whether anything you "
        "said felt like criticism, and thank them for telling you."
    ),
    "authenticity": _(
        "Be open about what you can and cannot do, and, where it helps, share a "
        "piece of your own recovery journey."
    ),
    "goals": _(
        "Revisit goals together in their own words. Ask what matters most to them now, "
        "and let them lead the next step."
    ),
    "culture": _(
        "Review their cultural profile with them. Ask what respect looks like to them "
        "and whether anything in how you work clashes with their values or practice."
    ),
    "consistency": _(
        "Check your commitments to them: name any you missed, renegotiate openly, "
        "and keep the next one small and sure."
    ),
    "boundaries": _(
        "Go over the boundaries agreement together: when you can be reached, how "
        "soon you answer, and what peer support covers."
    ),
}


def suggestions_for(practices: list[str]) -> list[tuple[str, str]]:
    """(practice, suggestion) for each practice that has one, in the given order."""
    return [
        (practice, str(SUGGESTIONS[practice])) for practice in practices if practice in SUGGESTIONS
    ]


@dataclass(frozen=True, slots=True)
class RankedSuggestion:
    practice: str
    label: str  # the practice's name
    percent: float | None  # its score in this check-in (percent of its maximum)
    drop: float | None  # points lost since the check-in before, when there was one
    text: str


def suggestions_ranked(
    practices: list[str], scores: dict[str, float], previous: dict[str, float] | None = None
) -> list[RankedSuggestion]:
    """The ideas for the practices that dipped in this check-in, the most urgent first: the
    lowest score first, then the biggest drop since the check-in before, then the
    instrument's order (docs/decisions.md 107)."""
    labels = dict(Practice.choices)
    order = {value: index for index, value in enumerate(Practice.values)}
    previous = previous or {}
    ranked = []
    for practice in practices:
        if practice not in SUGGESTIONS:
            continue
        percent = scores.get(practice)
        before = previous.get(practice)
        drop = before - percent if before is not None and percent is not None else None
        ranked.append(
            RankedSuggestion(
                practice=practice,
                label=str(labels.get(practice, practice)),
                percent=percent,
                drop=drop if drop and drop > 0 else None,
                text=str(SUGGESTIONS[practice]),
            )
        )
    ranked.sort(
        key=lambda s: (
            s.percent if s.percent is not None else 101,
            -(s.drop or 0),
            order.get(s.practice, 99),
        )
    )
    return ranked
