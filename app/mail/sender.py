"""Email through the business's SMTP server (password resets, invitations).

smtplib is blocking, so each message is sent from a worker thread. Without SMTP_HOST nothing is
sent and `send` says so: the caller decides what to do instead (log the link in development,
show it to the inviter)."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from app.config import Settings
from app.errors import ServiceUnavailable
from app.logging import get_logger

log = get_logger("mail")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @property
    def configured(self) -> bool:
        return bool(self._settings.smtp_host)

    async def send(self, mail: Mail) -> bool:
        """False when no SMTP server is configured; raises when the server cannot be reached
        or refuses the message (503 `mail_unavailable`)."""
        if not self.configured:
            return False
        try:
            await asyncio.to_thread(self._send, mail)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("email not sent", to_domain=mail.to.rpartition("@")[2], error=str(exc))
            raise ServiceUnavailable(
                "the email could not be sent; check the SMTP settings or try again",
                error_code="mail_unavailable",
            ) from exc
        return True

    def _send(self, mail: Mail) -> None:
        s = self._settings
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = s.smtp_from, mail.to, mail.subject
        message.set_content(mail.text)
        assert s.smtp_host
        smtp: smtplib.SMTP
        if s.smtp_security == "ssl":
            smtp = smtplib.SMTP_SSL(
                s.smtp_host,
                s.smtp_port,
                timeout=s.smtp_timeout_s,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s)
        with smtp:
            if s.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_username and s.smtp_password:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
            smtp.send_message(message)
