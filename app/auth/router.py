from __future__ import annotations

from fastapi import APIRouter, Request

from app.auth.schemas import Credentials, RefreshRequest, TokenOut, UserOut
from app.auth.service import AuthBackend
from app.deps import CurrentUser
from app.ratelimit import api_limit, auth_limit, limiter

router = APIRouter(prefix="/api/auth", tags=["auth"])


def _backend(request: Request) -> AuthBackend:
    return request.app.state.auth_backend


@router.post("/register", response_model=TokenOut, status_code=201)
@limiter.limit(auth_limit)
async def register(request: Request, body: Credentials) -> TokenOut:
    return await _backend(request).register(body.email, body.password)


@router.post("/login", response_model=TokenOut)
@limiter.limit(auth_limit)
async def login(request: Request, body: Credentials) -> TokenOut:
    return await _backend(request).login(body.email, body.password)


@router.post("/refresh", response_model=TokenOut)
@limiter.limit(auth_limit)
async def refresh(request: Request, body: RefreshRequest) -> TokenOut:
    return await _backend(request).refresh(body.refresh_token)


@router.get("/me", response_model=UserOut)
@api_limit
async def me(request: Request, user: CurrentUser) -> UserOut:
    return UserOut(id=user.user_id, email=user.email)
