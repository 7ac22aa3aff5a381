"""Audience filters from other apps' facts: model workers (the honours app's person facet, asked through
huigong.core.facets, never imported) and front-line workers (the member record's 一线职工). Both hold for
staff registration, the worker's own (portal) registration and invitations."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from huigong.activities import services
from huigong.activities.models import Invitation, Registration
from huigong.activities.testing import make_event, member, session_of
from huigong.honours.testing import make_honour
from huigong.portal.testing import make_worker_account, sign_in

pytestmark = pytest.mark.django_db


def test_model_workers_only_admits_holders_of_a_model_worker_title(cast, client):
    event = make_event(cast.city_admin, cast.xihu, model_workers_only=True, title="劳模疗休养")
    s = session_of(event)
    hero, plain = member(cast.city_admin, cast.tech, "劳模甲"), member(cast.city_admin, cast.tech, "职工乙")
    make_honour(cast, hero)
    assert services.register(actor=cast.city_admin, session=s, person=hero).status == "granted"
    with pytest.raises(ValidationError, match="仅限劳动模范"):
        services.register(actor=cast.city_admin, session=s, person=plain)
    # The worker on the portal: the same rule, the same words.
    sign_in(client, make_worker_account(person=plain))
    r = client.post(reverse("activities_portal:register", args=[s.pk]), follow=True)
    assert "仅限劳动模范" in r.content.decode()
    assert not Registration.objects.filter(session=s, person=plain).exists()


def test_front_line_only_follows_the_member_record(cast):
    s = session_of(make_event(cast.city_admin, cast.xihu, front_line_only=True, title="一线职工技能比武"))
    yes, no, unknown = (member(cast.city_admin, cast.tech, n) for n in ("一线甲", "管理乙", "未填丙"))
    yes.front_line, no.front_line = True, False
    yes.save(update_fields=["front_line"])
    no.save(update_fields=["front_line"])
    assert services.register(actor=cast.city_admin, session=s, person=yes).status == "granted"
    for p in (no, unknown):
        with pytest.raises(ValidationError, match="仅限一线职工"):
            services.register(actor=cast.city_admin, session=s, person=p)


def test_invitations_keep_to_the_audience(cast):
    event = make_event(cast.city_admin, cast.xihu, invitation_only=True, model_workers_only=True,
                       front_line_only=True, title="劳模一线座谈")
    hero, plain = member(cast.city_admin, cast.tech, "劳模甲"), member(cast.city_admin, cast.tech, "职工乙")
    make_honour(cast, hero)
    for p in (hero, plain):
        p.front_line = True
        p.save(update_fields=["front_line"])
    with pytest.raises(ValidationError, match="职工乙 不在本活动的参加范围：仅限劳动模范"):
        services.invitations_add(actor=cast.city_admin, event=event, people=[hero, plain])
    assert not Invitation.objects.filter(event=event).exists()  # all or nothing
    assert services.invitations_add(actor=cast.city_admin, event=event, people=[hero]) == 1
    assert services.register(actor=cast.city_admin, session=session_of(event), person=hero).status == "granted"


def test_event_form_offers_both_filters(cast, client):
    client.force_login(cast.city_admin)
    html = client.get(reverse("activities:event_create")).content.decode()
    assert 'name="model_workers_only"' in html and 'name="front_line_only"' in html
