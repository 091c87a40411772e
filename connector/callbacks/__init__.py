"""The outbound leg: everything we tell SmartThings without being asked.

Entry points: :func:`.publish.publish` (new states, DEVICE-DELETED) and
:func:`.publish.publish_devices` (discoveryCallback), both Redis-only; the worker
(``connector worker``) delivers. Modules, one job each:

* ``urls``        the allow-list of SmartThings hosts we may POST to;
* ``errors``      the exception tree of the callback leg;
* ``policy``      retry budget, back-off with jitter, batch bounds (pure);
* ``batch``       pending entries ⇄ Redis strings, cut into callbacks (pure);
* ``pending``     the per-installation pending store and flush ownership (Redis, Lua);
* ``client``      one POST to SmartThings, its answer classified (HTTP);
* ``credentials`` the code exchange and single-flight token refresh;
* ``publish``     coalesce into every installation's pending entries, queue one flush;
* ``flush``       deliver one installation's entries at least once;
* ``jobs``        the RQ jobs and the sweep; ``queues`` the RQ plumbing;
* ``worker``      the RQ worker; ``admin`` and ``cli`` what operators see and do.
"""
