"""The room air conditioner: ``thermostat.v1`` (partial ``.set`` of any state field,
``.set.maximum`` / ``.set.minimum``) and the read-only room temperature
(``temperature`` on ``indoor.ambient``) that drifts towards the setpoint while it cools
(smarthq-api.md §2.3.2).

``.set.maximum`` / ``.set.minimum`` take no parameters in the document; we read them as
"cooling setpoint to the configured maximum / minimum".
"""
from __future__ import annotations

from . import names
from .appliances import Context, Unit
from .services import Service

DRIFT_SECONDS = 300  # the room moves 1 °F every five minutes
OUTDOOR_F = 84
COOLING_MODES = {"cool", "cool.energysaver", "cool.quiet", "cool.turbo", "auto", "dry"}


def f_to_c(f: float) -> int:
    return round((f - 32) * 5 / 9)


def c_to_f(c: float) -> int:
    return round(c * 9 / 5 + 32)


def mode(value: str) -> str:
    return names.type_("thermostatmode", value)


def fan(value: str) -> str:
    return names.type_("fanspeed", value)


def ac_services(sdt: str = "airconditioner", room_f: int = 78) -> list[Service]:
    return [
        Service.make("thermostat.v1", "thermostat", sdt,
                     ["thermostat.v1.set", "thermostat.v1.set.maximum",
                      "thermostat.v1.set.minimum"], {
                         "on": True, "mode": mode("cool"), "fanSpeed": fan("auto"),
                         "coolFahrenheit": 72, "coolCelsius": 22}, {
                         "supportedModes": [mode(m) for m in ("cool", "cool.energysaver", "dry",
                                                              "fanonly")],
                         "supportedFanSpeeds": [fan(f) for f in ("auto", "low", "medium", "high")],
                         "coolFahrenheitMinimum": 64, "coolFahrenheitMaximum": 86,
                         "coolCelsiusMinimum": 18, "coolCelsiusMaximum": 30,
                         "supportsSwing": False, "supportsEcoMode": False,
                         "supportsHumidity": False, "supportsPump": False}),
        Service.make("temperature", "indoor.ambient", sdt, [],
                     {"fahrenheit": room_f, "celsius": f_to_c(room_f)}),
    ]


class Thermostat(Unit):
    @property
    def thermostat(self) -> Service:
        return self.svc("thermostat.v1", "thermostat")

    @property
    def room(self) -> Service:
        return self.svc("temperature", "indoor.ambient")

    def attach(self, ctx: Context) -> None:
        """The room starts drifting as soon as the AC is in the account."""
        ctx.after(DRIFT_SECONDS, lambda: self.drift(ctx), self.key("drift"))

    def handle(self, ctx: Context, svc: Service, command_type: str, params: dict) -> bool:
        if svc is not self.thermostat:
            return False
        cfg = svc.config
        if command_type.endswith(".set.maximum"):
            params = {"coolFahrenheit": cfg["coolFahrenheitMaximum"]}
        elif command_type.endswith(".set.minimum"):
            params = {"coolFahrenheit": cfg["coolFahrenheitMinimum"]}
        params = dict(params)
        if "coolFahrenheit" in params:
            params["coolCelsius"] = f_to_c(params["coolFahrenheit"])
        elif "coolCelsius" in params:
            params["coolFahrenheit"] = c_to_f(params["coolCelsius"])
        ctx.set_state(self.dev, svc, **params)
        return True

    def drift(self, ctx: Context) -> None:
        st = self.thermostat.state
        cooling = st["on"] and names.suffix(st["mode"], "thermostatmode") in COOLING_MODES
        target = st["coolFahrenheit"] if cooling else OUTDOOR_F
        now_f = self.room.state["fahrenheit"]
        if now_f != target:
            now_f += 1 if target > now_f else -1
            ctx.set_state(self.dev, self.room, fahrenheit=now_f, celsius=f_to_c(now_f))
        ctx.after(DRIFT_SECONDS, lambda: self.drift(ctx), self.key("drift"))
