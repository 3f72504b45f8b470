"""Spanish dates and times, one style on every page, email and message (decision 110):
"lun 30 nov 2026, 13:23". Chart axes use the short "30 nov". Input formats are Django's."""

DATE_FORMAT = "D j b Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "D j b Y, H:i"
SHORT_DATE_FORMAT = "j b"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
MONTH_DAY_FORMAT = "j b"
YEAR_MONTH_FORMAT = "F \\d\\e Y"
