"""Beyond the desktop: the same nudge to a phone, chat or inbox via Apprise.

Optional (`pip install 'kindnudge[push]'`). Apprise reports success per
notify() call; anything else becomes a DeliveryError like any backend's.
"""

from __future__ import annotations

import logging

from kindnudge.errors import DeliveryError
from kindnudge.notify.notification import Notification


class PushNotifier:
    name = "push"

    def __init__(self, urls: tuple[str, ...]) -> None:
        self.urls = urls

    def _apprise(self):  # noqa: ANN202 - apprise is optional, so its types are too
        try:
            import apprise
        except ImportError:
            raise DeliveryError(
                "push needs Apprise; install it with: pip install 'kindnudge[push]'"
            ) from None
        client = apprise.Apprise()
        for url in self.urls:
            if not client.add(url):
                raise DeliveryError(f"Apprise does not understand the URL '{url}'")
        return client

    def send(self, notification: Notification) -> None:
        """A discreet nudge goes out with its own words: the phone is not the
        screen others may see, and nothing there could reveal them later."""
        client = self._apprise()
        logging.getLogger("apprise").setLevel(logging.ERROR)
        title, body = notification.words or (notification.title, notification.body)
        try:
            delivered = client.notify(title=title, body=body)
        except Exception as exc:  # Apprise's plugins raise what their libraries raise
            raise DeliveryError(f"Apprise failed: {type(exc).__name__}: {exc}") from None
        if not delivered:
            raise DeliveryError(f"Apprise could not deliver to {len(self.urls)} URL(s); see the log")

    def describe(self) -> str:
        self._apprise()
        return f"push: Apprise, {len(self.urls)} URL(s)"
