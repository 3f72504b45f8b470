"""Row-level security behind PgBouncer in transaction pooling mode (Debian's pgbouncer, started
here in front of the suite's PostgreSQL, one server connection for every client).

In that mode a server connection passes from client to client between transactions, with
whatever session state it has. The agency settings are transaction-scoped, so none of it
travels: a client outside any scope sees nothing, even right after another client read agency
A's rows on the very same server connection."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection, connections, transaction
from django.db.utils import ProgrammingError, load_backend

from agencies.row_level_security import fetchone_planned_once
from agencies.tenancy import agency_scope, scopes_disabled
from agencies.tokens import token_hash
from participants.models import Participant
from tests import services
from tests.factories import make_checkin_request, make_participant

PGBOUNCER = "/usr/sbin/pgbouncer"
SQL = "SELECT id FROM participants_participant ORDER BY id"


@pytest.fixture
def pgbouncer_port():
    """pgbouncer on a free loopback port, transaction pooling, one server connection."""
    if not Path(PGBOUNCER).exists():
        pytest.fail("pgbouncer is missing: run scripts/install-test-services (make test does).")
    db = connection.settings_dict
    folder = Path(tempfile.mkdtemp(prefix="rapport-pgbouncer-"))
    folder.chmod(0o755)  # pgbouncer drops root for the PostgreSQL system user, which reads it
    port = services.free_port()
    (folder / "users.txt").write_text(f'"{db["USER"]}" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"{db['NAME']} = host={services.postgres_socket_folder()} port={db['PORT']}"
        f" dbname={db['NAME']}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'users.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 1\nmin_pool_size = 0\n"
        "max_client_conn = 20\nignore_startup_parameters = extra_float_digits,options\n"
    )
    for name in ("users.txt", "pgbouncer.ini"):
        (folder / name).chmod(0o644)
    user = ["-u", "embedded_postgres"] if os.geteuid() == 0 else []  # it refuses to run as root
    process = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [PGBOUNCER, *user, str(folder / "pgbouncer.ini")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"pgbouncer: {process.stderr.read()!r}") from None
                time.sleep(0.05)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def two_clients(pgbouncer_port):
    """Two Django connections through pgbouncer, as two web processes would have; settings as
    the README gives them for PgBouncer (no server-side cursors, client-side binding)."""
    backend = load_backend(connection.settings_dict["ENGINE"])
    clients = []
    for alias in ("bouncer_one", "bouncer_two"):
        settings_dict = {
            **connection.settings_dict,
            "HOST": "127.0.0.1",
            "PORT": pgbouncer_port,
            "DISABLE_SERVER_SIDE_CURSORS": True,
        }
        # Registered for this thread only (transaction.atomic(using=alias) finds it), and not
        # in settings.DATABASES, so the test database set-up knows nothing of it.
        connections[alias] = client = backend.DatabaseWrapper(settings_dict, alias)
        clients.append(client)
    try:
        yield clients
    finally:
        for client in clients:
            client.close()
            del connections[client.alias]


def rows(client, sql: str) -> list:
    with client.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_behind_pgbouncer_an_agencys_setting_never_reaches_the_next_client(
    two_clients, agency_a, agency_b
):
    first, second = two_clients
    mine, theirs = make_participant(agency_a), make_participant(agency_b)
    # One server connection serves both clients.
    assert rows(first, "SELECT pg_backend_pid()") == rows(second, "SELECT pg_backend_pid()")

    with agency_scope(agency_a):
        assert rows(first, SQL) == [(mine.pk,)]
    assert rows(second, SQL) == []  # no scope: nothing, though A's rows were just read there
    with agency_scope(agency_b):
        assert rows(second, SQL) == [(theirs.pk,)]
    assert rows(first, SQL) == []

    # Inside a transaction too: the setting ends with it.
    with agency_scope(agency_a), transaction.atomic(using=first.alias):
        assert rows(first, SQL) == [(mine.pk,)]
        assert list(Participant.objects.using(first.alias).values_list("pk", flat=True)) == [
            mine.pk
        ]
    assert rows(second, SQL) == []


@pytest.mark.django_db(transaction=True)
def test_behind_pgbouncer_the_check_in_statements_are_not_prepared(two_clients, agency_a, settings):
    """A prepared statement lives on a server connection, which PgBouncer in transaction mode
    hands to whichever client comes next: with prepared statements on, the second client's
    PREPARE meets the first's. Production turns them off behind PgBouncer (decision 183), and
    then every client runs the check-in's statements through it."""
    first, second = two_clients
    checkin, token = make_checkin_request(make_participant(agency_a))
    lookup = "SELECT id FROM checkins_checkinrequest WHERE token_hash = %s"
    settings.RAPPORT_PREPARED_STATEMENTS = False
    with scopes_disabled():
        for client in (first, second, first, second):
            found = fetchone_planned_once("bouncer_lookup", lookup, [token_hash(token)], client)
            assert found == (checkin.pk,)
    settings.RAPPORT_PREPARED_STATEMENTS = True
    with scopes_disabled():
        assert fetchone_planned_once("bouncer_lookup", lookup, [token_hash(token)], first)
        with pytest.raises(ProgrammingError, match="already exists"):
            fetchone_planned_once("bouncer_lookup", lookup, [token_hash(token)], second)
