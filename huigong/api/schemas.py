"""Schemas and helpers shared by every API module: pagination, references, error bodies."""

from __future__ import annotations

from typing import Annotated, Any

from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Schema
from pydantic import create_model, field_validator

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
MAX_OFFSET = 10**12
# Primary keys are 64-bit; a bigger number would overflow in the database driver (a 500) rather
# than simply match nothing.
MAX_ID = 2**63 - 1
# PositiveIntegerField is a 32-bit column on PostgreSQL.
MAX_INT32 = 2**31 - 1

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class Input(Schema):
    """Base of every input schema. PostgreSQL cannot store a NUL character in text; refuse it as a
    422 naming the field instead of failing in the database."""

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value):
        if _has_nul(value):
            raise ValueError(_("不能包含空字符"))
        return value


class PageQuery(Input):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, 
                       description=format_lazy(gettext_lazy("每页条数（1–{limit}）"), limit=MAX_LIMIT))
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description=gettext_lazy("跳过条数"))


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """A named page schema (`UnionPage`…) so that the OpenAPI document reads cleanly."""
    return create_model(
        name,
        __base__=Schema,
        count=(int, Field(..., description=_("符合条件的总数"))),
        limit=(int, ...),
        offset=(int, ...),
        items=(list[item], ...),
    )


def paginate(qs: QuerySet | list, page: PageQuery) -> dict[str, Any]:
    """Slice a queryset; `count` is the total before slicing. Lists are scoped querysets, so the
    slice is one LIMIT/OFFSET query and the count one COUNT query."""
    count = qs.count() if isinstance(qs, QuerySet) else len(qs)
    items = list(qs[page.offset : page.offset + page.limit])
    return {"count": count, "limit": page.limit, "offset": page.offset, "items": items}


class Ref(Schema):
    """A reference to another object: its id and a readable name."""

    id: int
    name: str


def ref(obj) -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": str(obj.name)}


class ErrorOut(Schema):
    detail: str


class FieldError(Schema):
    field: str = Field(..., description=gettext_lazy("出错的字段"))
    message: str = Field(..., description=gettext_lazy("原因说明（请求的语言）"))


class ValidationErrorOut(Schema):
    detail: list[FieldError]


# Responses every authenticated route can give besides its success status.
COMMON_ERRORS: dict[int, type[Schema]] = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ValidationErrorOut,
}
# Routes with a body can also meet one that is not JSON at all (400) or a uniqueness race (409).
BODY_ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 409: ErrorOut}


def responses(ok: dict[int, Any], *, body: bool = False) -> dict[int, Any]:
    return {**ok, **COMMON_ERRORS, **(BODY_ERRORS if body else {})}


def changes_of(payload: Schema, *, nullable: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields a PATCH body actually sent. Sending null is refused except where null means
    something (clearing an optional value); text is cleared with "" instead."""
    from django.core.exceptions import ValidationError

    changes = payload.dict(exclude_unset=True)
    bad = [f for f, v in changes.items() if v is None and f not in nullable]
    if bad:
        raise ValidationError({f: [_("%(f)s 不能为 null") % {"f": f}] for f in bad})
    return changes
