"""A real HTTP receiver on 127.0.0.1 for the webhook tests."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.imports.conftest import base_data, nogroup, olga  # noqa: F401  (fixtures of the import tests)


class Receiver:
    """Records every POST; ``status`` is the answer code, ``mode`` "close" drops the connection."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 204
        self.mode = "answer"
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if receiver.mode == "close":
                    self.close_connection = True
                    self.connection.close()
                    return
                with receiver.lock:
                    receiver.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body, "path": self.path})
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def payloads(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]

    def types(self) -> list[str]:
        return [p["type"] for p in self.payloads()]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.FORTYCRM_EVENT_FEED_DELAY = 0
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def subscribe(db, receiver):
    from fortycrm import events
    from fortycrm.models import WebhookSubscription
    from fortycrm.webhooks import subscription_save

    def make(event_names=None, url=None, **kwargs) -> WebhookSubscription:
        sub = WebhookSubscription(url=url or receiver.url, events=event_names or list(events.EVENT_TYPES), **kwargs)
        sub.plain_secret = subscription_save(subscription=sub)
        return sub

    return make
