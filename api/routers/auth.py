"""Sign-in for everyone: password login for a bearer token, sign-out, who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import (
    CurrentUser,
    SessionDep,
    SettingsDep,
    TokenUser,
    client_address,
    login_limits,
    login_ttl,
)
from api.errors import documented
from scheduler.services import auth, login_throttle
from scheduler.services.views import LoginView, UserView, user_view

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=LoginView, responses=documented(401, 422, 429))
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> LoginView:
    """Exchange an email (as `username`) and password for an expiring bearer token."""
    issued = login_throttle.login(
        session,
        engine=request.app.state.engine,
        email=form.username,
        password=form.password,
        address=client_address(request),
        ttl=login_ttl(settings),
        limits=login_limits(settings),
    )
    return LoginView(access_token=issued.token, expires_at=issued.row.expires_at)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=documented(401))
def logout(session: SessionDep, token_user: TokenUser) -> None:
    """Revoke the token this request was made with."""
    user, token = token_user
    auth.logout(session, actor=user, token=token)


@router.get("/me", response_model=UserView, responses=documented(401))
def me(user: CurrentUser) -> UserView:
    """The signed-in account: email, name, role and what it is linked to."""
    return user_view(user)
