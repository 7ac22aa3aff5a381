"""Floor (b) of bench/registration.py: the one-statement registration behind a minimal WSGI app
(the structure of bench/quota_floor_wsgi.py).

What a claim cannot do without, over HTTP: read the request, check the worker's session the way the
real app does (the session engine of the production settings: cached_db, so Redis first, the
database on a miss; signed in, a worker session) and its CSRF header against the cookie, run the one
statement (the worker's member and active membership, the programme's conditional decrement and the
claim's INSERT, all in one data-modifying statement, prepared on the server), answer JSON. No Django
request handling, no middleware, no ORM: Django is set up only for the session store's settings.

Served by the same gunicorn (same workers, threads, keep-alive) as the app it is compared with."""

from __future__ import annotations

import json
import os
import threading
from http.cookies import SimpleCookie
from importlib import import_module

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huigong.settings.prod")
django.setup()

import psycopg
from django.conf import settings

SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
WORKER_SESSION_KEY = "hg_worker"  # huigong.accounts.middleware.WORKER_SESSION_KEY
PATH = "/api/v1/event-registrations"

# The registration, as one statement: the worker's active membership, the place (decrement if available)
# and the seat row. Nothing is written when no place is left.
CLAIM_SQL = """
WITH w AS (
    SELECT wa.person_id, m.id AS membership_id, m.union_id
    FROM portal_workeraccount wa
    JOIN members_membership m ON m.person_id = wa.person_id AND m.status = 'active'
    WHERE wa.user_id = %(user)s
    LIMIT 1
), upd AS (
    UPDATE activities_eventsession SET remaining = remaining - 1
    WHERE id = %(programme)s AND is_open AND remaining > 0 AND EXISTS (SELECT 1 FROM w)
    RETURNING id
)
INSERT INTO activities_registration (session_id, person_id, seq, companion_name, membership_id, union_id, status,
                                     approval, source, ticket, created_at, granted_at, end_reason)
SELECT upd.id, w.person_id, 0, '', w.membership_id, w.union_id, 'granted', '', 'portal', gen_random_uuid(), now(),
       now(), '' FROM upd, w
RETURNING id
"""

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
    if environ["REQUEST_METHOD"] != "POST" or environ["PATH_INFO"] != PATH:
        return _answer(start_response, "200 OK", {"ok": True})
    cookies = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    session_key = cookies["sessionid"].value if "sessionid" in cookies else None
    csrf = cookies["csrftoken"].value if "csrftoken" in cookies else None
    session = SessionStore(session_key) if session_key else None
    data = session.load() if session is not None else {}
    user_id = data.get("_auth_user_id")
    if not user_id or not data.get(WORKER_SESSION_KEY):
        return _answer(start_response, "401 Unauthorized", {"detail": "Unauthorized"})
    if not csrf or environ.get("HTTP_X_CSRFTOKEN") != csrf:
        return _answer(start_response, "403 Forbidden", {"detail": "CSRF check failed"})
    length = int(environ.get("CONTENT_LENGTH") or 0)
    try:
        programme = int(json.loads(environ["wsgi.input"].read(length))["session_id"])
    except (ValueError, KeyError, TypeError):
        return _answer(start_response, "422 Unprocessable Entity", {"detail": [{"message": "session_id"}]})
    try:
        row = _conn().execute(CLAIM_SQL, {"user": int(user_id), "programme": programme}).fetchone()
    except psycopg.errors.UniqueViolation:
        return _answer(start_response, "422 Unprocessable Entity", {"detail": [{"message": "您已报名该场次"}]})
    if row is None:
        return _answer(start_response, "422 Unprocessable Entity", {"detail": [{"message": "名额已满"}]})
    return _answer(start_response, "201 Created", {"id": row[0], "status": "granted"})
