"""English dates and times, one style on every page, email and message (decision 110):
"Mon, Nov 30, 2026, 1:23 PM". Chart axes use the short "Nov 30". Input formats are Django's."""

DATE_FORMAT = "D, M j, Y"
TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "D, M j, Y, g:i A"
SHORT_DATE_FORMAT = "M j"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
MONTH_DAY_FORMAT = "M j"
YEAR_MONTH_FORMAT = "F Y"
