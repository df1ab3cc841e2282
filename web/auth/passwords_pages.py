"""Setting a password without the CLI: from a one-time link (anyone holding a working one),
and changing one's own (every signed-in coordinator and admin).

Argon2 runs in the web's hashing pool (`hash_in_pool`, `verify_in_pool`), never in the shared
thread pool, and a wrong current password counts against the sign-in throttle like a failed
sign-in, so this form is no way round it. The set-password form has no CSRF field: the token in
its address is the secret a forger would need, and nothing is hashed until it is checked.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pathway.password_links import LinkRefused, check_link, use_link
from pathway.staff_accounts import AccountError, set_password
from schema.db import session_scope
from schema.models import StaffMember
from schema.types import utcnow
from web.auth import devices
from web.auth import passwords as hashing
from web.auth.identity import Viewer, csrf_protected, current_staff
from web.auth.passwords import HashingBusy, WeakPassword, hash_in_pool, verify_in_pool
from web.auth.routes import sign_in_throttle
from web.auth.throttle import account_key
from web.forms import read_form
from web.sessions import SessionData, new_csrf_token, write_session
from web.templating import render

router = APIRouter(include_in_schema=False)

BUSY = "Too many people are setting passwords at once. Wait a moment and try again."
MISMATCH = "The two new passwords are not the same."


class Prehashed:
    """The `Passwords` pathway asks for, with the hash already made in the hashing pool."""

    def __init__(self, password_hash: str) -> None:
        self.password_hash = password_hash

    def check_strength(self, password: str) -> None:
        hashing.check_strength(password)

    def hash_password(self, password: str) -> str:
        return self.password_hash


def _strength_error(password: str, confirm: str) -> str:
    if password != confirm:
        return MISMATCH
    try:
        hashing.check_strength(password)
    except WeakPassword as error:
        return f"New password: {error}."
    return ""


# -- a one-time link -------------------------------------------------------------------------


def _link_page(
    request: Request, token: str, *, name: str = "", error: str = "", status: int = 200
) -> HTMLResponse:
    return render(
        request,
        "set_password.html",
        {"viewer": None, "token": token, "name": name, "error": error},
        status_code=status,
    )


def _refused(request: Request, reason: str) -> HTMLResponse:
    return render(
        request,
        "message.html",
        {"viewer": None, "title": "This link does not work", "text": reason},
        status_code=410,
    )


def _holder(token: str) -> str:
    with session_scope() as session:
        return check_link(session, token, now=utcnow()).name


@router.get("/set-password/{token}", response_class=HTMLResponse)
async def set_password_form(request: Request, token: str) -> Response:
    try:
        name = await run_in_threadpool(_holder, token)
    except LinkRefused as refused:
        return _refused(request, str(refused))
    return _link_page(request, token, name=name)


@router.post("/set-password/{token}", response_class=HTMLResponse)
async def set_password_from_link(request: Request, token: str) -> Response:
    form = await read_form(request)
    password = str(form.get("password") or "")
    try:
        name = await run_in_threadpool(_holder, token)  # nothing is hashed for a bad link
    except LinkRefused as refused:
        return _refused(request, str(refused))
    problem = _strength_error(password, str(form.get("confirm") or ""))
    if problem:
        return _link_page(request, token, name=name, error=problem, status=422)
    try:
        password_hash = await hash_in_pool(password)
    except HashingBusy:
        return _link_page(request, token, name=name, error=BUSY, status=429)

    def store() -> None:
        with session_scope() as session:
            use_link(session, token, password, passwords=Prehashed(password_hash), now=utcnow())

    try:
        await run_in_threadpool(store)
    except (LinkRefused, AccountError) as refused:
        return _refused(request, str(refused))
    return RedirectResponse("/sign-in?password_set=1", status_code=303)


# -- one's own password ----------------------------------------------------------------------


def _own_page(
    request: Request, viewer: Viewer, *, error: str = "", status: int = 200
) -> HTMLResponse:
    return render(
        request,
        "account_password.html",
        {"viewer": viewer, "active": "account", "error": error},
        status_code=status,
    )


@router.get("/account/password", response_class=HTMLResponse)
def own_password_form(request: Request, viewer: Viewer = Depends(current_staff)) -> Response:
    return _own_page(request, viewer)


def _own_account(viewer: Viewer) -> tuple[str, str | None]:
    with session_scope() as session:
        member = session.get(StaffMember, viewer.staff_id)
        assert member is not None
        return member.email or "", member.password_hash


@router.post("/account/password", response_class=HTMLResponse)
async def change_own_password(
    request: Request, viewer: Viewer = Depends(csrf_protected)
) -> Response:
    form = await read_form(request)
    current = str(form.get("current") or "")
    password = str(form.get("password") or "")
    email, password_hash = await run_in_threadpool(_own_account, viewer)
    client = request.client.host if request.client else "-"
    account = account_key(email)
    known = devices.is_known(request, account)
    throttle = sign_in_throttle(request)
    verdict = await throttle.check(client, account, trusted=known)
    if not verdict.allowed:
        minutes = max(1, -(-verdict.wait_seconds // 60))
        wait = f"Too many wrong passwords: wait {minutes} minute{'s' if minutes > 1 else ''}."
        return _own_page(request, viewer, error=wait, status=429)
    problem = _strength_error(password, str(form.get("confirm") or ""))
    if problem:
        return _own_page(request, viewer, error=problem, status=422)
    try:
        if not await verify_in_pool(password_hash, current):
            await throttle.failed(client, account, trusted=known)
            error = "Your current password is not right. Nothing was changed."
            return _own_page(request, viewer, error=error, status=401)
        new_hash = await hash_in_pool(password)
    except HashingBusy:
        return _own_page(request, viewer, error=BUSY, status=429)
    await throttle.succeeded(client, account)

    def store() -> int:
        with session_scope() as session:
            member = session.get(StaffMember, viewer.staff_id, with_for_update=True)
            assert member is not None
            set_password(
                session,
                member,
                password,
                actor=viewer.actor,
                passwords=Prehashed(new_hash),
                now=utcnow(),
            )
            return member.session_epoch

    epoch = await run_in_threadpool(store)
    response = RedirectResponse("/?done=password_changed", status_code=303)
    # A new password ends every session (set_password); this one carries on, with a new token.
    write_session(
        response, SessionData(csrf=new_csrf_token(), staff_id=viewer.staff_id, epoch=epoch)
    )
    return response
