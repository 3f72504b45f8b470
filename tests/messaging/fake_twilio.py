"""A local stand-in for Twilio's REST API, and Twilio's side of the webhooks.

An HTTP server on a free port answers POST /2010-04-01/Accounts/<sid>/Messages.json as
Twilio does (201 with the message's sid) after checking the HTTP basic credentials, and
records each message. It then plays Twilio towards the app: it posts inbound texts and
delivery reports to the app's webhooks, signed with the `twilio` library's RequestValidator
as Twilio signs them. Point the app's Twilio client at it with TWILIO_API_BASE_URL."""

import base64
import json
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import requests
from twilio.request_validator import RequestValidator


@dataclass
class SentText:
    sid: str
    to: str
    sender: str  # From, or the messaging service SID
    body: str
    status_callback: str


class FakeTwilio:
    def __init__(self, account_sid: str, auth_token: str):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.sent: list[SentText] = []
        self.refused_auth = 0
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                fields = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                expected = (
                    "Basic "
                    + base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
                )
                path = f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
                if self.headers.get("Authorization") != expected:
                    with fake._lock:
                        fake.refused_auth += 1
                    return self._answer(401, {"code": 20003, "message": "Authenticate"})
                if self.path != path:
                    return self._answer(404, {"code": 20404, "message": "Not found"})
                text = SentText(
                    sid="SM" + uuid.uuid4().hex,
                    to=fields.get("To", ""),
                    sender=fields.get("From") or fields.get("MessagingServiceSid", ""),
                    body=fields.get("Body", ""),
                    status_callback=fields.get("StatusCallback", ""),
                )
                with fake._lock:
                    fake.sent.append(text)
                self._answer(
                    201,
                    {
                        "sid": text.sid,
                        "account_sid": fake.account_sid,
                        "to": text.to,
                        "from": fields.get("From"),
                        "body": text.body,
                        "status": "queued",
                    },
                )

            def _answer(self, status, payload):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # Twilio's side of the webhooks

    def post_signed(self, url: str, params: dict, *, token: str | None = None):
        signature = RequestValidator(token or self.auth_token).compute_signature(url, params)
        return requests.post(
            url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30
        )

    def text_in(self, url: str, *, from_number: str, to_number: str, body: str, **kw):
        params = {
            "MessageSid": "SM" + uuid.uuid4().hex,
            "AccountSid": self.account_sid,
            "From": from_number,
            "To": to_number,
            "Body": body,
            "NumMedia": "0",
        }
        return self.post_signed(url, params, **kw)

    def report(self, text: SentText, status: str, error_code: str = ""):
        params = {
            "MessageSid": text.sid,
            "AccountSid": self.account_sid,
            "MessageStatus": status,
            "To": text.to,
        }
        if error_code:
            params["ErrorCode"] = error_code
        return self.post_signed(text.status_callback, params)

    def texts_to(self, number: str) -> list[str]:
        with self._lock:
            return [t.body for t in self.sent if t.to == number]
