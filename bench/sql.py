"""The floors of benchmark 2: one raw SQL statement each that computes the same figures as
the agency dashboard (alliance/checkins/reports.py) and the first caseload page
(participants/selectors.py)."""

DASHBOARD = """
WITH period_requests AS (
    SELECT count(*) AS created, count(*) FILTER (WHERE completed_at IS NOT NULL) AS completed
    FROM checkins_checkinrequest
    WHERE agency_id = %(agency)s AND created_at >= %(start)s AND created_at < %(end)s
      AND revoked_at IS NULL
), period_responses AS (
    SELECT count(*) AS responses, avg(percent) AS average,
           count(*) FILTER (WHERE percent IS NULL) AS unscored,
           count(*) FILTER (WHERE percent >= 0 AND percent < 50) AS under_50,
           count(*) FILTER (WHERE percent >= 50 AND percent < 70) AS b50_69,
           count(*) FILTER (WHERE percent >= 70 AND percent < 85) AS b70_84,
           count(*) FILTER (WHERE percent >= 85 AND percent < 101) AS b85_100
    FROM checkins_checkinresponse
    WHERE agency_id = %(agency)s AND submitted_at >= %(start)s AND submitted_at < %(end)s
), caseloads AS (
    SELECT assigned_peer_id AS peer, count(*) AS n FROM participants_participant
    WHERE agency_id = %(agency)s AND status <> 'discharged' GROUP BY 1
), peer_responses AS (
    SELECT p.assigned_peer_id AS peer, count(*) AS n, avg(r.percent) AS average
    FROM checkins_checkinresponse r
    JOIN participants_participant p ON p.id = r.participant_id AND p.agency_id = %(agency)s
    WHERE r.agency_id = %(agency)s AND r.submitted_at >= %(start)s AND r.submitted_at < %(end)s
    GROUP BY 1
), peer_alerts AS (
    SELECT p.assigned_peer_id AS peer, count(*) AS n
    FROM checkins_alert a
    JOIN participants_participant p ON p.id = a.participant_id AND p.agency_id = %(agency)s
    WHERE a.agency_id = %(agency)s AND a.status <> 'resolved' GROUP BY 1
), peers AS (
    SELECT m.id AS peer FROM agencies_membership m
    WHERE m.agency_id = %(agency)s AND m.role = 'peer' AND m.is_active
    UNION SELECT peer FROM caseloads UNION SELECT peer FROM peer_responses
    UNION SELECT peer FROM peer_alerts
)
SELECT (SELECT row_to_json(q) FROM period_requests q),
       (SELECT row_to_json(q) FROM period_responses q),
       (SELECT count(*) FROM checkins_alert
        WHERE agency_id = %(agency)s AND status <> 'resolved'),
       (SELECT json_agg(json_build_object(
            'peer', peers.peer,
            'name', coalesce(nullif(trim(u.first_name || ' ' || u.last_name), ''), u.email),
            'caseload', coalesce(c.n, 0), 'responses', coalesce(r.n, 0),
            'average', round(r.average::numeric, 1), 'open_alerts', coalesce(a.n, 0)))
        FROM peers
        LEFT JOIN caseloads c ON c.peer IS NOT DISTINCT FROM peers.peer
        LEFT JOIN peer_responses r ON r.peer IS NOT DISTINCT FROM peers.peer
        LEFT JOIN peer_alerts a ON a.peer IS NOT DISTINCT FROM peers.peer
        LEFT JOIN agencies_membership m ON m.id = peers.peer
        LEFT JOIN agencies_user u ON u.id = m.user_id)
"""

# The first caseload page as a supervisor sees it: 25 rows by name, each with the columns the
# page shows (alliance/selectors.py caseload: the last two scores, open alert and supervisor
# request, next and overdue commitment, last contact, check-in rhythm, contact overdue, okay
# to text) and its peer's name; the number of participants (for the page count); the peer
# filter's choices. Like the page, it computes the columns for the page's 25 rows only.
CASELOAD = """
WITH page AS (
    SELECT p.id, p.preferred_name, p.pronouns, p.status, p.assigned_peer_id, p.enrolled_on,
           count(*) OVER () AS total
    FROM participants_participant p
    WHERE p.agency_id = %(agency)s
    ORDER BY p.preferred_name, p.id
    LIMIT 25
), columns AS (
    SELECT page.*,
           (SELECT max(c.occurred_at) FROM participants_contact c
            WHERE c.agency_id = %(agency)s AND c.participant_id = page.id) AS last_contact_at,
           (SELECT r.percent FROM checkins_checkinresponse r
            WHERE r.agency_id = %(agency)s AND r.participant_id = page.id
            ORDER BY r.submitted_at DESC, r.id DESC LIMIT 1) AS last_percent,
           (SELECT r.percent FROM checkins_checkinresponse r
            WHERE r.agency_id = %(agency)s AND r.participant_id = page.id
            ORDER BY r.submitted_at DESC, r.id DESC OFFSET 1 LIMIT 1) AS previous_percent,
           EXISTS (SELECT FROM checkins_alert a
                   WHERE a.agency_id = %(agency)s AND a.participant_id = page.id
                     AND a.status <> 'resolved') AS open_alert,
           EXISTS (SELECT FROM checkins_alert a
                   WHERE a.agency_id = %(agency)s AND a.participant_id = page.id
                     AND a.status <> 'resolved'
                     AND a.supervisor_requested_at IS NOT NULL) AS wants_supervisor,
           next.due_at AS next_commitment_at, next.what AS next_commitment_what,
           EXISTS (SELECT FROM commitments_commitment k
                   WHERE k.agency_id = %(agency)s AND k.participant_id = page.id
                     AND k.status = 'open' AND k.due_at < now()) AS commitment_overdue,
           coalesce((SELECT s.every_weeks FROM commitments_checkinschedule s
                     WHERE s.agency_id = %(agency)s AND s.participant_id = page.id
                       AND s.is_active LIMIT 1),
                    2) AS cadence_weeks,  -- alliance/selectors.py DEFAULT_CADENCE_WEEKS
           EXISTS (SELECT FROM participants_channelconsent cc
                   WHERE cc.agency_id = %(agency)s AND cc.participant_id = page.id
                     AND cc.channel = 'sms' AND cc.granted_at IS NOT NULL
                     AND cc.revoked_at IS NULL) AS okay_to_text
    FROM page
    LEFT JOIN LATERAL (
        SELECT k.due_at, k.what FROM commitments_commitment k
        WHERE k.agency_id = %(agency)s AND k.participant_id = page.id
          AND k.status = 'open' AND k.due_at >= now()
        ORDER BY k.due_at, k.id LIMIT 1
    ) next ON true
)
SELECT columns.id, columns.preferred_name, columns.pronouns, columns.status,
       u.first_name, u.last_name, columns.last_contact_at, columns.total,
       (SELECT json_agg(json_build_array(
                   m.id, coalesce(nullif(trim(pu.first_name || ' ' || pu.last_name), ''), pu.email))
               ORDER BY pu.last_name, pu.first_name, pu.email)
        FROM agencies_membership m JOIN agencies_user pu ON pu.id = m.user_id
        WHERE m.agency_id = %(agency)s AND m.role = 'peer' AND m.is_active) AS peers,
       columns.last_percent, columns.previous_percent, columns.open_alert,
       columns.wants_supervisor, columns.next_commitment_at, columns.next_commitment_what,
       columns.commitment_overdue, columns.cadence_weeks,
       columns.status = 'active'
           AND coalesce(columns.last_contact_at, columns.enrolled_on::timestamptz)
               + columns.cadence_weeks * interval '1 week' < now() AS contact_overdue,
       columns.okay_to_text
FROM columns
LEFT JOIN agencies_membership m ON m.id = columns.assigned_peer_id
LEFT JOIN agencies_user u ON u.id = m.user_id
ORDER BY columns.preferred_name, columns.id
"""
