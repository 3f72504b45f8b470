"""The Peer Alliance Check-in: Rapport's own instrument, one item per practice plus one open
question, in English and Spanish. Written for this product in plain language (about a 12-year
reading age, one idea per item). Installed for every agency (data migration 0002 and
`services.instrument_install_default`)."""

KEY = "peer-alliance-checkin"
VERSION = 1
NAME = "Peer Alliance Check-in"
SCALE_MIN, SCALE_MAX = 1, 5
LABEL_MIN = {"en": "Not at all", "es": "Para nada"}
LABEL_MAX = {"en": "Completely", "es": "Totalmente"}

# (practice, English, Spanish)
SCALE_ITEMS = [
    (
        "safety",
        "I felt safe, and my privacy was respected.",
        "Me sentí seguro o segura, y se respetó mi privacidad.",
    ),
    ("listening", "My peer listened to me.", "Mi compañero o compañera de apoyo me escuchó."),
    (
        "empathy",
        "My peer understood how I feel.",
        "Mi compañero o compañera entendió cómo me siento.",
    ),
    ("non_judgment", "I did not feel judged.", "No me sentí juzgado o juzgada."),
    (
        "authenticity",
        "My peer was honest and real with me.",
        "Mi compañero o compañera fue honesto y sincero conmigo.",
    ),
    ("goals", "We worked on what matters to me.", "Trabajamos en lo que a mí me importa."),
    ("culture", "My culture and values were respected.", "Se respetaron mi cultura y mis valores."),
    (
        "consistency",
        "My peer did what they said they would do.",
        "Mi compañero o compañera hizo lo que dijo que iba a hacer.",
    ),
    (
        "boundaries",
        "I know what to expect from our work together.",
        "Sé qué esperar de nuestro trabajo juntos.",
    ),
]
OPEN_QUESTION = {
    "en": "What would make our next conversation better?",
    "es": "¿Qué haría mejor nuestra próxima conversación?",
}


def item_rows() -> list[dict]:
    """The items as field values for InstrumentItem, in order."""
    rows = [
        {
            "position": n,
            "kind": "scale",
            "practice": practice,
            "text": {"en": en, "es": es},
            "scale_min": SCALE_MIN,
            "scale_max": SCALE_MAX,
            "label_min": LABEL_MIN,
            "label_max": LABEL_MAX,
            "required": False,
        }
        for n, (practice, en, es) in enumerate(SCALE_ITEMS, start=1)
    ]
    rows.append(
        {
            "position": len(rows) + 1,
            "kind": "text",
            "practice": "",
            "text": OPEN_QUESTION,
            "required": False,
        }
    )
    return rows
