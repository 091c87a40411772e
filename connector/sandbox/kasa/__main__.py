"""Run the simulator on its own: ``python -m connector.sandbox.kasa [--port N]``.

Creates one user with the default devices, prints the URLs, the client credentials and
a ready access token as JSON, and serves until interrupted.
"""
from __future__ import annotations

import argparse
import json
import threading

from .cloud import KasaCloud
from .server import SimulatedKasa


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m connector.sandbox.kasa",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="default: any free port")
    parser.add_argument("--username", default="demo@example.com")
    parser.add_argument("--password", default="kasa-demo")
    args = parser.parse_args(argv)

    cloud = KasaCloud()
    user = cloud.create_user(args.username, args.password)
    access, refresh, expires_in = cloud.issue_tokens(user)
    with SimulatedKasa(cloud, port=args.port) as sim:
        print(json.dumps({
            "api_url": sim.url, "oauth_url": sim.oauth_url, "admin_url": sim.admin_url,
            "client_id": cloud.client_id, "client_secret": cloud.client_secret,
            "api_key": cloud.api_key, "username": args.username, "password": args.password,
            "access_token": access, "refresh_token": refresh, "expires_in": expires_in,
        }, indent=2), flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
