"""Rows of the API route × role matrix (huigong/api/tests/test_matrix.py) for the online join applications.
Declared in the app's contributions (apps.py). Objects named by a row are built inside each role's
rolled-back savepoint, so every role meets the same world."""

from __future__ import annotations

from huigong.testing import new_id_number


def matrix_rows(Row, expect) -> dict:
    everyone = dict.fromkeys(("admin", "staff", "viewer", "finance", "leader"), 200)
    READ = expect(everyone)
    LIST = expect(everyone, outsider=200)
    MEMBER_WRITE = expect({"admin": 200, "staff": 200})
    return {
        # Online join applications (portal): a Hangzhou rider's (riders' union) and a Qingdao worker's.
        ("GET", "/api/v1/join-applications"): Row(LIST, params=lambda w: _join_apps(w) and {},
                                                  markers=("陈杭骑", "赵青申")),
        ("GET", "/api/v1/join-applications/{app_id}"): Row(READ, params=lambda w: {"app_id": _join_apps(w)[0].pk}),
        ("POST", "/api/v1/join-applications/{app_id}/accept"): Row(
            MEMBER_WRITE, params=lambda w: {"app_id": _join_apps(w)[0].pk}, body=lambda w: {}
        ),
        ("POST", "/api/v1/join-applications/{app_id}/reject"): Row(
            MEMBER_WRITE, params=lambda w: {"app_id": _join_apps(w)[0].pk}, body=lambda w: {"reason": "材料不全"}
        ),
    }


def _join_apps(w):
    """Made inside each role's rolled-back savepoint."""
    from huigong.portal.testing import submit_join

    return [submit_join(name="陈杭骑", platform=w.platform),
            submit_join(name="赵青申", area=w.gaoxin, id_number=new_id_number("370213"))]
