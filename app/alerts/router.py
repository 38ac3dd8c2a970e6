from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from app.alerts import service
from app.deps import CurrentWorkspace
from app.ratelimit import api_limit

router = APIRouter(prefix="/api/alert-settings", tags=["alerts"])


class AlertSettingsIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"new_escalations": True, "waiting": True}]}
    )

    new_escalations: bool = Field(description="an email for each new escalation")
    waiting: bool = Field(
        description="an email when a customer in a conversation a person holds (yours, or "
        "nobody's) has waited ALERT_WAITING_MINUTES without an answer"
    )


class AlertSettingsOut(AlertSettingsIn):
    updated_at: datetime | None
    waiting_minutes: int
    email_configured: bool = Field(description="false: this server has no SMTP, nothing is sent")


def _out(request: Request, row: dict[str, object]) -> AlertSettingsOut:
    state = request.app.state
    return AlertSettingsOut(
        new_escalations=bool(row["new_escalations"]),
        waiting=bool(row["waiting"]),
        updated_at=row["updated_at"],  # type: ignore[arg-type]
        waiting_minutes=state.settings.alert_waiting_minutes,
        email_configured=state.mailer.configured,
    )


@router.get("", response_model=AlertSettingsOut)
@api_limit
async def my_alerts(request: Request, ws: CurrentWorkspace) -> AlertSettingsOut:
    """Your own email alerts in this workspace (every member chooses their own)."""
    return _out(request, await service.my_settings(ws))


@router.put("", response_model=AlertSettingsOut)
@api_limit
async def set_my_alerts(
    request: Request, ws: CurrentWorkspace, body: AlertSettingsIn
) -> AlertSettingsOut:
    return _out(
        request,
        await service.set_my_settings(
            ws, new_escalations=body.new_escalations, waiting=body.waiting
        ),
    )
