"""Education's services (writes), split by subdomain: rounds, applications and the draw, the 公示,
cohorts, payments. Pages, the API, commands and jobs call these."""

from .applications import (  # noqa: F401
    application_chains,
    application_correct,
    application_decide,
    application_points_set,
    application_submit,
    application_withdraw,
    draw_precedence,
    draw_record,
    draw_verify,
    first_check,
    first_check_run,
    programme_carry_over,
    programme_draw,
    priority_tiers,
)
from .cohorts import (  # noqa: F401
    clawback_recovered,
    enrolment_confirm,
    enrolment_drop,
    enrolment_graduate,
    enrolment_transfer,
    leavers_stop,
    term_record,
)
from .programmes import (  # noqa: F401
    APPROVE,
    EDU,
    MONEY,
    VIEW,
    institution_create,
    major_add,
    programme_close,
    programme_create,
    programme_open,
    programme_rules_set,
    quotas_compute,
)
