"""Floor (b) of bench/checkin.py: the one-statement check-in behind a minimal WSGI app.

What a gate's scan cannot do without, over HTTP: read the request, check the staff member's session the
way the real app does (the production session engine: cached_db, Redis first; signed in; TOTP verified:
the same django-otp device look-up the app's middleware makes for a staff role that sees personal data)
and the CSRF header against the cookie, verify the ticket's HMAC (checkin_ticket.read, pure Python), run
ONE statement (the seat granted at that session, and its attendance row inserted unless one exists),
answer JSON. No Django request handling, no middleware, no ORM, no scan log, no rules.

Served by the same gunicorn (same workers, threads, keep-alive) as the app it is compared with."""

from __future__ import annotations

import json
import os
import re
import threading
from http.cookies import SimpleCookie
from importlib import import_module

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huigong.settings.prod")
django.setup()

import psycopg
from django.conf import settings

from huigong.activities import checkin_ticket as ticket

SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
PATH = re.compile(r"^/api/v1/event-checkin/gates/(\d+)/scans$")

# Admit once: the seat (granted, of the ticket's session) and its attendance row, in one statement.
ADMIT_SQL = """
WITH ins AS (
    INSERT INTO activities_checkin (registration_id, session_id, first_gate_id, last_gate_id, method, first_in_at,
                                    last_in_at, inside, auto_checked_out, entries)
    SELECT r.id, r.session_id, %(gate)s, %(gate)s, 'scan', now(), now(), true, false, 1
    FROM activities_registration r
    WHERE r.id = %(reg)s AND r.session_id = %(session)s AND r.status = 'granted'
    ON CONFLICT (registration_id) DO NOTHING
    RETURNING registration_id
)
SELECT count(*) FROM ins
"""
DEVICE_SQL = "SELECT 1 FROM otp_totp_totpdevice WHERE id = %s AND user_id = %s AND confirmed"

_local = threading.local()


def _conn():
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, prepare_threshold=1)
    return conn


def _answer(start_response, status: str, body: dict):
    data = json.dumps(body, ensure_ascii=False).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def application(environ, start_response):
    m = PATH.match(environ["PATH_INFO"])
    if environ["REQUEST_METHOD"] != "POST" or m is None:
        return _answer(start_response, "200 OK", {"ok": True})
    cookies = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    session_key = cookies["sessionid"].value if "sessionid" in cookies else None
    csrf = cookies["csrftoken"].value if "csrftoken" in cookies else None
    data = SessionStore(session_key).load() if session_key else {}
    user_id = data.get("_auth_user_id")
    device = (data.get("otp_device_id") or "").rpartition("/")[2]
    if not user_id or not device.isdigit():
        return _answer(start_response, "401 Unauthorized", {"detail": "Unauthorized"})
    if not csrf or environ.get("HTTP_X_CSRFTOKEN") != csrf:
        return _answer(start_response, "403 Forbidden", {"detail": "CSRF check failed"})
    conn = _conn()
    if conn.execute(DEVICE_SQL, [int(device), int(user_id)]).fetchone() is None:
        return _answer(start_response, "403 Forbidden", {"detail": "TOTP"})
    length = int(environ.get("CONTENT_LENGTH") or 0)
    try:
        scan = json.loads(environ["wsgi.input"].read(length))["scans"][0]
        t = ticket.read(scan["code"])
    except ticket.TicketError as e:
        return _answer(start_response, "200 OK", {"results": [{"result": "refused", "reason": e.reason}]})
    except (ValueError, KeyError, TypeError, IndexError):
        return _answer(start_response, "422 Unprocessable Entity", {"detail": [{"message": "scans"}]})
    n = conn.execute(ADMIT_SQL, {"gate": int(m.group(1)), "reg": t.registration_id, "session": t.session_id}).fetchone()[0]
    result = "admitted" if n else "refused"
    return _answer(start_response, "200 OK", {"results": [{"uuid": scan.get("uuid"), "result": result}]})
