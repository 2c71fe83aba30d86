"""Asks the D-Bus session bus whether a notification server is there.

plyer's notify-send path ignores notify-send's exit status, so without this
check a missing server would fail silently. jeepney is pure Python, and each
call is bounded by a timeout so a hung bus cannot hang kindnudge.
"""

from __future__ import annotations

import os

from kindnudge.errors import DeliveryError

BUS_NAME = "org.freedesktop.Notifications"
TIMEOUT_S = 3.0


def server_name() -> str:
    """The running server's name and version, or DeliveryError saying why not."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") and not os.environ.get("XDG_RUNTIME_DIR"):
        raise DeliveryError(
            "no desktop session bus (DBUS_SESSION_BUS_ADDRESS is not set);"
            " run kindnudge from inside your desktop session"
        )
    try:
        with open_dbus_connection(bus="SESSION", auth_timeout=TIMEOUT_S) as conn:
            owned = conn.send_and_get_reply(message_bus.NameHasOwner(BUS_NAME), timeout=TIMEOUT_S)
            if not owned.body[0]:
                raise DeliveryError(
                    "no notification service is running on the desktop session bus;"
                    " start your desktop's notification daemon (e.g. dunst, mako)"
                )
            address = DBusAddress("/org/freedesktop/Notifications", BUS_NAME, BUS_NAME)
            call = new_method_call(address, "GetServerInformation")
            name, _vendor, version, _spec = conn.send_and_get_reply(call, timeout=TIMEOUT_S).body
            return f"{name} {version}".strip()
    except DeliveryError:
        raise
    except TimeoutError:
        raise DeliveryError(f"the notification service did not answer within {TIMEOUT_S:g}s") from None
    except (OSError, KeyError, ValueError) as exc:
        raise DeliveryError(f"cannot reach the desktop session bus: {exc}") from None
    except Exception as exc:  # jeepney's DBusErrorResponse and friends
        raise DeliveryError(f"the desktop session bus refused: {exc}") from None
