"""`/sign-in` and `/sign-out`."""

from __future__ import annotations

import asyncio
import hmac
import math
import re

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pathway import audit
from schema.db import session_scope
from schema.models import StaffMember
from schema.settings import get_settings
from schema.types import utcnow
from web.auth import devices
from web.auth.identity import SignInRequired, Viewer, csrf_protected, current_staff
from web.auth.passwords import HashingBusy, hash_in_pool, needs_rehash, verify_in_pool
from web.auth.signin import (
    Candidate,
    SignedIn,
    SignInPolicy,
    find_candidate,
    record_sign_in,
    record_throttled,
)
from web.auth.throttle import SignInThrottle, Verdict, account_key, throttle_for
from web.forms import read_form
from web.sessions import SessionData, clear_session, new_csrf_token, read_session, write_session
from web.templating import render

log = structlog.get_logger(__name__)

router = APIRouter(include_in_schema=False)

REFUSED = "That email and password did not match an account that can sign in."
EXPIRED = "The sign-in form had expired. Please try again."
WAIT = "Too many sign-in attempts. Wait {wait} and try again."
SIGN_IN_FORM_LIMITS = {"max_fields": 8, "max_files": 0, "max_part_size": 1024}


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


def sign_in_throttle(request: Request) -> SignInThrottle:
    throttle = getattr(request.app.state, "sign_in_throttle", None)
    if not isinstance(throttle, SignInThrottle):
        settings = get_settings()
        throttle = throttle_for(settings.resolved_broker_url, settings.broker_key_prefix)
        request.app.state.sign_in_throttle = throttle
    return throttle


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
async def sign_in_form(request: Request, next: str = "/") -> Response:
    # Anonymous (the usual case, and every flood's) costs no thread and no database read.
    session = read_session(request)
    if session is None or session.staff_id is None:
        return _form(request, next_path=safe_next(next))
    try:
        await run_in_threadpool(current_staff, request)
    except SignInRequired:
        return _form(request, next_path=safe_next(next))
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    form = await read_form(request, SIGN_IN_FORM_LIMITS)
    email = str(form.get("email") or "")[:254]
    password = str(form.get("password") or "")
    next_path = safe_next(form.get("next"))
    pre = read_session(request)
    posted = form.get("csrf_token")
    if pre is None or not isinstance(posted, str) or not hmac.compare_digest(posted, pre.csrf):
        return _form(request, email=email, next_path=next_path, error=EXPIRED, status=403)
    client = request.client.host if request.client else "-"
    account = account_key(email)
    known = devices.is_known(request, account)
    throttle = sign_in_throttle(request)
    # (More than a few at once from one address never get here: web.auth.flood_guard.)
    verdict = await throttle.check(client, account, trusted=known)
    if not verdict.allowed:
        return await _throttled(request, email, next_path, verdict, client)
    try:
        signed_in = await _check_password(email, password, client)
    except HashingBusy:
        return await _throttled(request, email, next_path, Verdict(5, "busy"), client)
    if signed_in is None:
        await throttle.failed(client, account, trusted=known)
        await asyncio.sleep(sign_in_policy(request).failure_delay_seconds)
        return _form(request, email=email, next_path=next_path, error=REFUSED, status=401)
    await throttle.succeeded(client, account)
    response = RedirectResponse(next_path, status_code=303)
    # A fresh CSRF token at sign-in: nothing from before it carries over (session fixation).
    write_session(
        response,
        SessionData(csrf=new_csrf_token(), staff_id=signed_in.staff_id, epoch=signed_in.epoch),
    )
    devices.remember(response, account)
    return response


async def _check_password(email: str, password: str, client: str) -> SignedIn | None:
    """Three steps, so no database connection or row lock is held while Argon2 runs: find the
    account (a short read), check the password in the hashing pool, record the outcome."""
    candidate = await run_in_threadpool(_find, email)
    matches = await verify_in_pool(candidate.password_hash if candidate else None, password)
    new_hash = None
    if matches and candidate is not None and needs_rehash(candidate.password_hash):
        new_hash = await hash_in_pool(password)
    return await run_in_threadpool(_record, candidate, matches, new_hash, client)


def _find(email: str) -> Candidate | None:
    with session_scope() as session:
        return find_candidate(session, email)


def _record(
    candidate: Candidate | None, matches: bool, new_hash: str | None, client: str
) -> SignedIn | None:
    with session_scope() as session:
        return record_sign_in(
            session, candidate, matches=matches, new_hash=new_hash, now=utcnow(), client=client
        )


async def _throttled(
    request: Request, email: str, next_path: str, verdict: Verdict, client: str
) -> Response:
    """Refused before any password is checked; the same for every account, known or not."""

    def record() -> None:
        with session_scope() as session:
            record_throttled(
                session,
                reason=verdict.reason,
                wait_seconds=verdict.wait_seconds,
                client=client,
                now=utcnow(),
            )

    if sign_in_throttle(request).worth_auditing(client, verdict.reason):
        await run_in_threadpool(record)
    minutes = max(1, math.ceil(verdict.wait_seconds / 60))
    wait = f"{minutes} minute" + ("" if minutes == 1 else "s")
    response = _form(
        request, email=email, next_path=next_path, error=WAIT.format(wait=wait), status=429
    )
    response.headers["Retry-After"] = str(verdict.wait_seconds)
    return response


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
            now=utcnow(),
        )
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    clear_session(response)
    return response
