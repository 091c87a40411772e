"""GE SmartHQ: the OAuth client (``oauth``), the Digital Twin v2 client (``client`` over
``transport``, errors in ``errors``), the pure mapping (``mapping`` with ``appliance``,
``commands``, ``effects``, ``enums``, ``kinds``), the device profiles (``profiles``,
``cli``) and the backend (``backend``)."""
