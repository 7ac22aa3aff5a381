"""Rows of the page matrix (huigong/orgs/tests/test_views_matrix.py runs them) for the portal: the
workers' pages (personas: the anonymous, staff, a worker of another union, our worker) and the staff's
pages on joins, transfers and account links, declared in the app's contributions (apps.py).

The world: a message to 李小红; 陈西湖 (a new account) applied to join 杭州某科技公司工会; 王骑手's
membership is asked for by 杭州某科技公司工会 (a transfer inside 西湖区); 吴西湖 (another account) asked
王骑手's union to confirm that the account is 王骑手's."""


def build(world) -> None:
    from huigong.members.services import transfer_request_create
    from huigong.portal import link, services
    from huigong.portal.testing import make_worker_account, submit_join

    for account in (world.worker, world.qd_worker):
        services.consent_give(account=account, purpose="id_number")
    world.pt_message = services.message_send(person=world.member.person, title="西湖区工会来信：李小红您好")
    world.joiner = make_worker_account()
    world.pt_join = submit_join(world.joiner, name="陈西湖", employer=world.enterprise)
    world.pt_transfer = transfer_request_create(actor=world.city_admin, person=world.rider.person,
                                                to_union=world.tech, reason="西湖区内调动")
    world.walker = make_worker_account()  # signed up, nothing asked yet: walks the join pages
    services.consent_give(account=world.walker, purpose="id_number")
    world.linker = make_worker_account()
    services.consent_give(account=world.linker, purpose="id_number")
    world.pt_link = link.link_start(account=world.linker, name="王骑手", id_number=world.rider.person.id_number,
                                    method="union")


def _card(world) -> dict:
    from huigong.portal.cards import card_token

    return {"t": card_token(world.member)}


WORKER = {"who": "worker"}
JOIN_WALK = {"who": "worker", "as": "walker", "ok": (200, 302), "outsider": 302}
PUBLIC = {"who": "public"}

# name -> (args builder, capability the page needs beyond VIEW, methods[, how])
ROUTES = {
    # Before sign-in (a signed-in worker is sent on).
    "portal:login": (lambda c: [], None, "GET POST", PUBLIC),
    "portal:signup": (lambda c: [], None, "GET POST", PUBLIC),
    "portal:logout": (lambda c: [], None, "POST", {"who": "public", "ok": 302}),
    "portal:terms": (lambda c: [], None, "GET", PUBLIC),
    "portal:privacy": (lambda c: [], None, "GET", PUBLIC),
    # The worker's own pages.
    "portal:home": (lambda c: [], None, "GET", WORKER),
    "portal:services": (lambda c: [], None, "GET", WORKER),
    # 忘记密码 signed out, 修改密码 signed in: a form for anyone, an SMS code to the phone decides.
    "portal:password": (lambda c: [], None, "GET POST", PUBLIC),
    "portal:me": (lambda c: [], None, "GET", WORKER),
    "portal:messages": (lambda c: [], None, "GET", WORKER),
    "portal:message_detail": (lambda c: [c.pt_message.pk], None, "GET", WORKER),
    "portal:messages_read_all": (lambda c: [], None, "POST", {"who": "worker", "outsider": 302}),
    "portal:notify_settings": (lambda c: [], None, "GET POST", {"who": "worker", "outsider": (200, 302)}),
    "portal:consent": (lambda c: ["health"], None, "GET POST", {"who": "worker", "ours": False}),
    "portal:consent_withdraw": (lambda c: ["health"], None, "POST", {"who": "worker", "ours": False,
                                                                      "outsider": 302}),
    # The join walk: a member (赵青岛) is sent to their card; a step before its turn sends back a step.
    "portal:join_start": (lambda c: [], None, "GET", {**JOIN_WALK, "ok": 200}),
    "portal:join_identity": (lambda c: [], None, "GET POST", {**JOIN_WALK, "ok": 200}),
    "portal:join_work": (lambda c: [], None, "GET POST", JOIN_WALK),
    "portal:join_where": (lambda c: [], None, "GET POST", JOIN_WALK),
    "portal:join_confirm": (lambda c: [], None, "GET POST", JOIN_WALK),
    "portal:join_detail": (lambda c: [c.pt_join.pk], None, "GET", {"who": "worker", "as": "joiner"}),
    "portal:join_withdraw": (lambda c: [c.pt_join.pk], None, "POST", {"who": "worker", "as": "joiner"}),
    # 赵青岛's account is linked already: sent on.
    "portal:link_start": (lambda c: [], None, "GET POST", {"who": "worker", "as": "linker", "outsider": 302}),
    "portal:link_detail": (lambda c: [c.pt_link.pk], None, "GET POST", {"who": "worker", "as": "linker"}),
    # Staff pages.
    "portal:staff_join_list": (lambda c: [], None, "GET"),
    "portal:staff_join_detail": (lambda c: [c.pt_join.pk], None, "GET"),
    "portal:staff_join_accept": (lambda c: [c.pt_join.pk], "member_write", "POST"),
    "portal:staff_join_reject": (lambda c: [c.pt_join.pk], "member_write", "POST"),
    # A scanned card of 李小红's: the outsider is told nothing of it.
    "portal:staff_card_check": (lambda c: [], None, "GET", {"query": _card, "outsider": (403, 404)}),
    "portal:staff_transfer_list": (lambda c: [], None, "GET"),
    "portal:staff_transfer_detail": (lambda c: [c.pt_transfer.pk], None, "GET"),
    "portal:staff_transfer_accept": (lambda c: [c.pt_transfer.pk], "member_write", "POST"),
    "portal:staff_transfer_refuse": (lambda c: [c.pt_transfer.pk], "member_write", "POST"),
    "portal:staff_link_list": (lambda c: [], None, "GET"),
    "portal:staff_link_decide": (lambda c: [c.pt_link.pk], "member_write", "POST"),
}
