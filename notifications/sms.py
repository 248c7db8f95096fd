"""SMS senders: an HTTP gateway from ``DEALFLOW_SMS_URL``, or the log (embedded default).

The gateway gets ``POST <url>`` with ``{"to", "text", "reference"}`` as JSON; any 2xx
is success. A 4xx is a refusal that retrying cannot fix (a bad number, no credit is
for people to sort out); anything else, or no answer, is retried with back-off.
Put a provider's credentials in the URL (``https://user:key@sms.example.com/send``) and
they go out as HTTP basic authentication.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.request
from urllib.parse import unquote, urlsplit, urlunsplit

from .outgoing import OutgoingSms, Undeliverable

log = logging.getLogger(__name__)
HTTP_TIMEOUT_SECONDS = 10


class HttpSmsGateway:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.url = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))  # no credentials
        self.authorization = _basic_auth(parts.username, parts.password)

    def send(self, sms: OutgoingSms) -> None:
        body = json.dumps({"to": sms.to, "text": sms.text, "reference": sms.reference}).encode()
        request = urllib.request.Request(self.url, data=body, method="POST",  # noqa: S310 - http(s) only, checked at start-up
                                         headers={"Content-Type": "application/json"})
        if self.authorization:
            request.add_header("Authorization", self.authorization)
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS):  # noqa: S310
                return
        except urllib.error.HTTPError as exc:
            detail = exc.read(300).decode(errors="replace")
            if 400 <= exc.code < 500:
                raise Undeliverable(f"the SMS gateway refused the message: {exc.code} {detail}") from exc
            raise


class LogSmsGateway:
    """Writes the message to the log instead of sending it: the embedded default."""

    def send(self, sms: OutgoingSms) -> None:
        log.info("SMS to %s (not sent: no DEALFLOW_SMS_URL): %s", sms.to, sms.text)


def _basic_auth(username: str | None, password: str | None) -> str | None:
    if not username:
        return None
    pair = f"{unquote(username)}:{unquote(password or '')}".encode()
    return "Basic " + base64.b64encode(pair).decode()
