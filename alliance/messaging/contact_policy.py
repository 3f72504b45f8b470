"""When a participant may be contacted: outside their quiet hours, not on their observances,
and within their weekly maximum. All in the participant's own time zone."""

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

SEARCH_DAYS = 400  # an observance list cannot block more than a year and a bit


def _in_quiet_hours(moment: time, start: time | None, end: time | None) -> bool:
    if start is None or end is None:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end  # across midnight, e.g. 21:00–08:00


def _is_observance(day: date, weekdays: list[int], dates: list[str]) -> bool:
    return day.weekday() in (weekdays or []) or day.isoformat() in (dates or [])


def next_allowed_time(*, profile, time_zone: str, at: datetime) -> datetime:
    """The earliest instant at or after `at` when the participant may be contacted."""
    zone = zoneinfo.ZoneInfo(time_zone)
    candidate = at
    for _ in range(SEARCH_DAYS * 2):
        local = candidate.astimezone(zone)
        if _is_observance(local.date(), profile.observance_weekdays, profile.observance_dates):
            candidate = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
            continue
        if _in_quiet_hours(local.time(), profile.quiet_hours_start, profile.quiet_hours_end):
            end_day = local.date()
            if (
                profile.quiet_hours_start > profile.quiet_hours_end
                and local.time() >= profile.quiet_hours_start
            ):
                end_day += timedelta(days=1)  # quiet since this evening: ends tomorrow morning
            candidate = datetime.combine(end_day, profile.quiet_hours_end, tzinfo=zone)
            continue
        return candidate.astimezone(UTC)
    return candidate.astimezone(UTC)


def weekly_limit_reached_until(
    *, profile, sent_times: list[datetime], at: datetime
) -> datetime | None:
    """None if another message fits in the participant's weekly maximum at `at`; otherwise the
    moment the oldest message of the last seven days drops out of the window."""
    limit = profile.max_contacts_per_week
    if not limit:
        return None
    window = sorted(t for t in sent_times if t > at - timedelta(days=7))
    if len(window) < limit:
        return None
    return window[len(window) - limit] + timedelta(days=7)
