"""Who is asking: a signed-in staff member (pages) or a trust's API token (the staff API).

Every page and endpoint depends on one of these, and every query they make is scoped to the
trust found here: there is no other source of a trust id in the dashboard or the API.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pathway import audit
from schema.db import session_scope
from schema.models import SIGN_IN_ROLES, StaffMember, StaffRole, Trust
from schema.types import utcnow
from web.auth import tokens
from web.sessions import read_session


class SignInRequired(Exception):
    """No valid staff session: pages answer with a redirect to the sign-in form."""


class CsrfRefused(Exception):
    """A form posted without this session's CSRF token."""


class AdminOnly(Exception):
    """A coordinator asked for a page only admins see."""


@dataclass(frozen=True)
class Viewer:
    staff_id: int
    trust_id: int
    name: str
    role: str
    trust_code: str
    trust_name: str
    timezone: str
    csrf: str

    @property
    def is_admin(self) -> bool:
        return self.role == StaffRole.ADMIN

    @property
    def actor(self) -> str:
        return audit.staff_actor(self.staff_id)


@dataclass(frozen=True)
class ApiClient:
    token_id: int
    trust_id: int
    name: str

    @property
    def actor(self) -> str:
        return f"api:{self.token_id}:{self.name}"[:100]


def current_staff(request: Request) -> Viewer:
    data = read_session(request)
    if data is None or data.staff_id is None:
        raise SignInRequired
    with session_scope() as session:
        member = session.get(StaffMember, data.staff_id)
        if (
            member is None
            or not member.active
            or member.role not in SIGN_IN_ROLES
            or member.password_hash is None
            or member.session_epoch != data.epoch
        ):
            raise SignInRequired
        trust = session.get(Trust, member.trust_id)
        assert trust is not None
        return Viewer(
            staff_id=member.id,
            trust_id=trust.id,
            name=member.name,
            role=member.role,
            trust_code=trust.code,
            trust_name=trust.name,
            timezone=trust.timezone,
            csrf=data.csrf,
        )


async def csrf_protected(request: Request, viewer: Viewer = Depends(current_staff)) -> Viewer:
    """The viewer, if the posted form carries their session's CSRF token."""
    form = await request.form()
    token = form.get("csrf_token")
    if not isinstance(token, str) or not hmac.compare_digest(token, viewer.csrf):
        raise CsrfRefused
    return viewer


def admin_only(viewer: Viewer = Depends(current_staff)) -> Viewer:
    if not viewer.is_admin:
        raise AdminOnly
    return viewer


def admin_form(viewer: Viewer = Depends(csrf_protected)) -> Viewer:
    """An admin posting a form with their session's CSRF token."""
    if not viewer.is_admin:
        raise AdminOnly
    return viewer


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="trust token",
    description="A token issued to a hospital system with `safetynet tokens issue`.",
)


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def api_client(
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
) -> ApiClient:
    if credentials is None:
        raise _unauthorised("a bearer token is required")
    with session_scope() as session:
        token = tokens.find_active(session, credentials.credentials, now=utcnow())
        if token is None:
            raise _unauthorised("unknown or revoked token")
        return ApiClient(token_id=token.id, trust_id=token.trust_id, name=token.name)


def staff_or_client(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
) -> int:
    """The trust id of a signed-in staff member or of a bearer token (for the API's schema)."""
    if credentials is not None:
        return api_client(credentials).trust_id
    try:
        return current_staff(request).trust_id
    except SignInRequired:
        raise _unauthorised("sign in or give a bearer token") from None
