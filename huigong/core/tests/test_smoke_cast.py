from huigong.core.models import AuditEvent
from huigong.members.selectors import member_list_for_actor


def test_cast_members_are_scoped(cast):
    names = {m.person.name for m in member_list_for_actor(cast.city_admin)}
    assert names == {"李小红", "王骑手"}
    assert {m.person.name for m in member_list_for_actor(cast.outsider)} == {"赵青岛"}
    assert AuditEvent.objects.filter(verb="person.create").count() == 3
