"""Person-first language hints for notes and messages (practice 4, non-judgmental attitude).

Hints never block saving. Words inside quotation marks are the participant's own and are left
alone: people choose how they describe themselves.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# From the ONDCP list as published by Shatterproof and NIDA's "Words Matter"
# (see the domain notes). Longer phrases come first so they win over their parts.
DEFAULT_TERMS: list[tuple[str, str]] = [
    ("former addict", _("person in recovery, person in long-term recovery")),
    ("reformed addict", _("person in recovery, person in long-term recovery")),
    ("drug abuser", _("person with a substance use disorder")),
    ("addict", _("person with a substance use disorder")),
    # "Abuser" in any compound ("substance abuser", "alcohol abusers"): the word is the label.
    ("abusers", _("people with a substance use disorder")),
    ("abuser", _("person with a substance use disorder")),
    ("alcoholic", _("person with alcohol use disorder")),
    ("drug problem", _("substance use disorder")),
    ("drug habit", _("substance use disorder")),
    ("drug abuse", _("drug misuse, substance use")),
    ("substance abuse", _("drug misuse, substance use")),
    ("clean drug screen", _("tested negative")),
    ("dirty drug screen", _("tested positive")),
    ("clean", _("abstinent, not actively using, in recovery")),
    ("dirty", _("actively using")),
    ("opioid replacement", _("medication for addiction treatment")),
    ("methadone maintenance", _("medication for addiction treatment")),
    ("relapse", _("return to use, recurrence of symptoms")),
    ("relapsed", _("returned to use")),
]

_QUOTED = re.compile(r'"[^"]*"|“[^”]*”|«[^»]*»')


@dataclass(frozen=True)
class LanguageHint:
    term: str
    alternative: str


def language_hints(text: str, extra_terms: list[tuple[str, str]] = ()) -> list[LanguageHint]:
    """The terms found in `text` (outside quotes), each once, with the alternative to consider."""
    unquoted = _QUOTED.sub(" ", text or "").lower()
    terms = sorted([*extra_terms, *DEFAULT_TERMS], key=lambda pair: -len(pair[0]))
    hints, taken = [], []
    for term, alternative in terms:
        for match in re.finditer(rf"\b{re.escape(term.lower())}\b", unquoted):
            span = range(match.start(), match.end())
            if any(match.start() in other or match.end() - 1 in other for other in taken):
                continue
            taken.append(span)
            if term.lower() not in {hint.term for hint in hints}:
                hints.append(LanguageHint(term.lower(), str(alternative)))
    return hints
