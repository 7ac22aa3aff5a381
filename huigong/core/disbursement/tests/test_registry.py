"""The disbursement registry: every paying domain registers its flow once, under its own key."""

import pytest
from django.core.exceptions import ValidationError

from huigong.core.disbursement import flow


def test_both_paying_domains_run_on_the_kernel():
    flows = flow.flows()
    assert {"aid", "reimbursement"} <= set(flows)
    for f in flows.values():
        assert f.payment_model._meta.get_field("idempotency_key").unique
        assert f.payment_model._meta.get_field(f.attempt_field)


def test_an_unknown_flow_is_refused_and_a_second_kind_under_one_key_too():
    with pytest.raises(ValidationError):
        flow.get("nope")

    class Other(type(flow.get("aid"))):  # another kind of flow under aid's key
        pass

    with pytest.raises(ValueError, match="registered twice"):
        flow.register(Other())


def test_a_flow_missing_a_domain_hook_cannot_be_made():
    class Incomplete(flow.Flow):
        key = "incomplete"

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()
