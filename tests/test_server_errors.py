"""One line for a server's refusal at connection time, which libpq gives without a SQLSTATE."""

from __future__ import annotations

import pytest

psycopg = pytest.importorskip("psycopg")

from wegings.store.engine import describe_server_error  # noqa: E402

SOCKET = 'connection failed: connection to server on socket "/tmp/s/.s.PGSQL.5432" failed: '


@pytest.mark.parametrize(
    "fatal",
    [
        "fe_sendauth: no password supplied",
        'FATAL:  password authentication failed for user "j_jansen"',
        'FATAL:  role "j_jansen" does not exist',
        'FATAL:  no pg_hba.conf entry for host "[local]", user "j_jansen", database "wegings"',
    ],
)
def test_a_refused_login_is_not_an_unreachable_server(fatal: str) -> None:
    message = describe_server_error(psycopg.OperationalError(SOCKET + fatal), "the server").message
    assert message.startswith("The server refused the login for the server (")
    assert "check the user and password" in message


def test_a_missing_database_is_not_an_unreachable_server() -> None:
    error = psycopg.OperationalError(SOCKET + 'FATAL:  database "nosuchdb" does not exist')
    message = describe_server_error(error, "the server").message
    assert message.startswith("The server has no database the server names (")
    assert message.endswith("create it, then run `wegings db upgrade`.")


def test_a_server_that_is_down_is_unreachable() -> None:
    error = psycopg.OperationalError(SOCKET + "No such file or directory")
    message = describe_server_error(error, "the server").message
    assert message.startswith("Cannot reach the database server of the server: ")
