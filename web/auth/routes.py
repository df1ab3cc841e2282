"""`/sign-in` and `/sign-out`."""

from __future__ import annotations

import asyncio
import hmac
import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pathway import audit
from schema.db import session_scope
from schema.models import StaffMember
from schema.types import utcnow
from web.auth.identity import SignInRequired, Viewer, csrf_protected, current_staff
from web.auth.signin import SignedIn, SignInPolicy, authenticate
from web.sessions import SessionData, clear_session, new_csrf_token, read_session, write_session
from web.templating import render

router = APIRouter(include_in_schema=False)

REFUSED = "That email and password did not match an account that can sign in."
EXPIRED = "The sign-in form had expired. Please try again."


_LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9/_.~%=&?#-]*")


def safe_next(value: object) -> str:
    """Only a plain path on this site: never `//elsewhere`, a URL, or control characters (which
    browsers drop, so that a slash, a tab and a slash become `//`). No open redirect."""
    if isinstance(value, str) and _LOCAL_PATH.fullmatch(value):
        return value
    return "/"


def sign_in_policy(request: Request) -> SignInPolicy:
    policy = getattr(request.app.state, "sign_in_policy", None)
    return policy if isinstance(policy, SignInPolicy) else SignInPolicy()


def _form(
    request: Request, *, email: str = "", next_path: str = "/", error: str = "", status: int = 200
) -> HTMLResponse:
    existing = read_session(request)
    csrf = existing.csrf if existing is not None and existing.staff_id is None else new_csrf_token()
    response = render(
        request,
        "sign_in.html",
        {
            "csrf": csrf,
            "email": email,
            "next": next_path,
            "error": error,
            "signed_out": request.query_params.get("signed_out") == "1",
        },
        status_code=status,
    )
    write_session(response, SessionData(csrf=csrf))
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, next: str = "/") -> Response:
    try:
        current_staff(request)
    except SignInRequired:
        return _form(request, next_path=safe_next(next))
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    form = await request.form()
    email = str(form.get("email") or "")[:254]
    password = str(form.get("password") or "")
    next_path = safe_next(form.get("next"))
    pre = read_session(request)
    posted = form.get("csrf_token")
    if pre is None or not isinstance(posted, str) or not hmac.compare_digest(posted, pre.csrf):
        return _form(request, email=email, next_path=next_path, error=EXPIRED, status=403)
    client = request.client.host if request.client else "-"
    signed_in = await run_in_threadpool(
        _authenticate, email, password, sign_in_policy(request), client
    )
    if signed_in is None:
        await asyncio.sleep(sign_in_policy(request).failure_delay_seconds)
        return _form(request, email=email, next_path=next_path, error=REFUSED, status=401)
    response = RedirectResponse(next_path, status_code=303)
    # A fresh CSRF token at sign-in: nothing from before it carries over (session fixation).
    write_session(
        response,
        SessionData(csrf=new_csrf_token(), staff_id=signed_in.staff_id, epoch=signed_in.epoch),
    )
    return response


def _authenticate(email: str, password: str, policy: SignInPolicy, client: str) -> SignedIn | None:
    with session_scope() as session:
        return authenticate(session, email, password, now=utcnow(), policy=policy, client=client)


@router.post("/sign-out")
def sign_out(viewer: Viewer = Depends(csrf_protected)) -> Response:
    """Ends this staff member's sessions everywhere: a copy of the cookie is worthless after."""
    with session_scope() as session:
        member = session.get(StaffMember, viewer.staff_id, with_for_update=True)
        assert member is not None
        member.session_epoch += 1
        audit.record(
            session,
            "staff.signed_out",
            "staff_member",
            viewer.staff_id,
            actor=viewer.actor,
            trust_id=viewer.trust_id,
        )
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    clear_session(response)
    return response
