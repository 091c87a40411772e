"""The partner backends the connector can serve, keyed by their externalDeviceId namespace."""
from __future__ import annotations


def build_backends(services) -> dict:
    """Every backend whose partner credentials are configured."""
    backends = {}
    if services.settings.kasa_configured:
        from connector.backends.kasa.backend import KasaBackend

        backends[KasaBackend.name] = KasaBackend(services.settings, services.accounts)
    if services.settings.smarthq_configured:
        from connector.backends.smarthq.backend import SmartHQBackend
        backends[SmartHQBackend.name] = SmartHQBackend(services.settings, services.accounts)
    return backends
