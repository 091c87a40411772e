"""The device models the simulator knows: what each one reports to the cloud.

Types and traits are the document's strings. Colour-temperature ranges come from the
per-model table in the ecosystem notes (python-kasa's TPLINK_KELVIN); the cloud sends
them as ``metadata.min/maxColorTemperature``. ``watts`` and ``hours_per_day`` only
shape the synthetic energy and runtime history.
"""
from __future__ import annotations

from dataclasses import dataclass

ON_OFF = "traits.devices.OnOff"
BRIGHTNESS = "traits.devices.Brightness"
COLOR_TEMPERATURE = "traits.devices.ColorTemperature"
COLOR_SPECTRUM = "traits.devices.ColorSpectrum"
ENERGY_MONITORING = "traits.devices.EnergyMonitoring"
SCHEDULE = "traits.devices.Schedule"
RUNTIME_STATS = "traits.devices.RuntimeStats"

LIGHT = "devices.types.Light"
OUTLET = "devices.types.Outlet"
SWITCH = "devices.types.Switch"

_BASIC = (ON_OFF, SCHEDULE, RUNTIME_STATS)


@dataclass(frozen=True)
class ModelSpec:
    model: str  # with region, as the Device object's "model" says: "HS110(US)"
    type: str
    description: str
    traits: tuple[str, ...]
    hardware_version: str
    software_version: str
    ct_range: tuple[int, int] | None = None
    watts: float = 0.0  # draw when on
    hours_per_day: float = 4.0  # typical use, for synthetic history
    volts: float = 120.0

    def has(self, trait: str) -> bool:
        return trait in self.traits


def _spec(model, type_, description, traits, hw, sw, **kw) -> ModelSpec:
    return ModelSpec(model, type_, description, tuple(traits), hw, sw, **kw)


MODELS: dict[str, ModelSpec] = {s.model: s for s in (
    _spec("HS100(US)", OUTLET, "Wi-Fi Smart Plug", _BASIC,
          "2.0", "1.5.6 Build 191125 Rel.083657", watts=40.0, hours_per_day=5),
    _spec("HS103(US)", OUTLET, "Wi-Fi Smart Plug Lite", _BASIC,
          "5.0", "1.0.3 Build 201015 Rel.142523", watts=10.0, hours_per_day=6),
    _spec("HS110(US)", OUTLET, "Wi-Fi Smart Plug With Energy Monitoring",
          _BASIC + (ENERGY_MONITORING,), "1.0", "1.2.5 Build 171206 Rel.085954",
          watts=8.6, hours_per_day=6.5),
    _spec("HS110(EU)", OUTLET, "Wi-Fi Smart Plug With Energy Monitoring",
          _BASIC + (ENERGY_MONITORING,), "4.0", "1.0.4 Build 191111 Rel.143500",
          watts=8.6, hours_per_day=6.5, volts=230.0),
    _spec("KP115(US)", OUTLET, "Kasa Smart Wi-Fi Plug Slim with Energy Monitoring",
          _BASIC + (ENERGY_MONITORING,), "1.0", "1.0.16 Build 210205 Rel.163735",
          watts=65.0, hours_per_day=4),
    _spec("HS200(US)", SWITCH, "Wi-Fi Smart Light Switch", _BASIC,
          "5.0", "1.0.2 Build 200819 Rel.105309", watts=60.0, hours_per_day=5),
    _spec("HS220(US)", SWITCH, "Wi-Fi Smart Dimmer Switch", _BASIC + (BRIGHTNESS,),
          "2.0", "1.0.3 Build 200804 Rel.121002", watts=40.0, hours_per_day=4),
    _spec("KL110(US)", LIGHT, "Smart Wi-Fi LED Bulb with Dimmable Light",
          _BASIC + (BRIGHTNESS,), "1.0", "1.8.11 Build 191113 Rel.105336",
          watts=9.0, hours_per_day=5),
    _spec("KL120(US)", LIGHT, "Smart Wi-Fi LED Bulb with Tunable White Light",
          _BASIC + (BRIGHTNESS, COLOR_TEMPERATURE), "1.0",
          "1.8.11 Build 191113 Rel.105336", ct_range=(2700, 5000), watts=10.0,
          hours_per_day=5),
    _spec("KL120(EU)", LIGHT, "Smart Wi-Fi LED Bulb with Tunable White Light",
          _BASIC + (BRIGHTNESS, COLOR_TEMPERATURE), "1.0",
          "1.8.11 Build 191113 Rel.105336", ct_range=(2700, 6500), watts=10.0,
          hours_per_day=5, volts=230.0),
    _spec("KL125(US)", LIGHT, "Smart Wi-Fi Light Bulb, Multicolor",
          _BASIC + (BRIGHTNESS, COLOR_TEMPERATURE, COLOR_SPECTRUM), "1.20",
          "1.0.5 Build 200831 Rel.141525", ct_range=(2500, 6500), watts=9.0,
          hours_per_day=4),
    _spec("KL130(US)", LIGHT, "Smart Wi-Fi LED Bulb with Color Changing",
          _BASIC + (BRIGHTNESS, COLOR_TEMPERATURE, COLOR_SPECTRUM), "1.0",
          "1.8.6 Build 180809 Rel.091659", ct_range=(2500, 9000), watts=10.0,
          hours_per_day=4),
)}


def lookup(model: str) -> ModelSpec:
    """The spec for ``model``; a bare model number ("KL130") means its US variant."""
    spec = MODELS.get(model) or MODELS.get(f"{model}(US)")
    if spec is None:
        raise KeyError(f"unknown model {model!r}; known: {', '.join(sorted(MODELS))}")
    return spec
