"""Run the simulator on its own: ``python -m connector.sandbox.smarthq [--port N] [--speed X]``.

Creates one user with the default appliances, prints the URLs, the client credentials
and a ready token pair as JSON, and serves until interrupted.
"""
from __future__ import annotations

import argparse
import json
import threading

from .clock import SimClock
from .cloud import SmartHQCloud
from .server import SimulatedSmartHQ


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m connector.sandbox.smarthq",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="default: any free port")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="simulated seconds per wall second (60: a wash cycle in ~35 s)")
    parser.add_argument("--username", default="demo@example.com")
    parser.add_argument("--password", default="smarthq-demo")
    args = parser.parse_args(argv)

    cloud = SmartHQCloud(clock=SimClock(speed=args.speed))
    user = cloud.create_user(args.username, args.password)
    access, refresh, expires_in = cloud.issue_tokens(user)
    with SimulatedSmartHQ(cloud, port=args.port) as sim:
        print(json.dumps({
            "api_url": sim.api_url, "oauth_url": sim.oauth_url, "admin_url": sim.admin_url,
            "client_id": cloud.client_id, "client_secret": cloud.client_secret,
            "username": args.username, "password": args.password, "user_id": user.user_id,
            "access_token": access, "refresh_token": refresh, "expires_in": expires_in,
            "appliances": {d.kind: d.device_id for d in user.devices.values()},
        }, indent=2), flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
