"""Test support: a tracked-item kind of the kernel's own tests (no domain needed)."""

from __future__ import annotations

from . import kinds

TEST_KIND = kinds.register(kinds.Kind(code="outcomes.test", label="测试事项", capability="member_write",
                                      verify_capability="member_write"))


def make_item(actor, node, title="整改劳动合同签订", **kw):
    from . import services

    return services.item_create(actor=actor, kind=TEST_KIND.code, node=node, title=title, **kw)
