"""The routing file: loaded from YAML, checked on load, turned into frozen objects."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.router.grouping import (
    DEFAULT_INTERVAL_S,
    DEFAULT_REPEAT_S,
    DEFAULT_WAIT_S,
    MAX_DURATION_S,
    Grouping,
    parse_duration,
)
from services.router.policy import OnDisagreement, Thresholds
from services.router.routing import COMPUTED_LABELS, LABEL_VALUES, Route
from services.router.severity import DEFAULT_POINTS, PriorityRules
from services.router.touchpoints import TouchpointSpec
from shared import yaml_load
from shared.matchers import LABEL_NAME, Matcher, Op, parse_matcher

ENV_NAME = r"[A-Z_][A-Z0-9_]*\Z"


class ConfigError(ValueError):
    """A routing file that cannot be used; the message names the file, key path and reason."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {key}: {reason}" for key, reason in problems))


@dataclass(frozen=True)
class Receiver:
    """Who owns cases and how to reach them: email addresses and Slack targets."""

    name: str
    emails: tuple[str, ...] = ()
    slack: tuple[str, ...] = ()  # "webhook:<ENV_VAR>" or "channel:<#name or id>"
    personal_data: bool = True  # false: alerts carry no name, email, attributes or comment

    def targets(self) -> list[tuple[str, str]]:
        """Return (channel, target) pairs, the way deliveries store them."""
        return [("email", e) for e in self.emails] + [("slack", s) for s in self.slack]


@dataclass(frozen=True, eq=False)
class RouterConfig:
    """A validated routing file (compared by identity, so caches can key on it cheaply)."""

    source: str
    touchpoints: tuple[TouchpointSpec, ...]
    default_touchpoint: str
    thresholds: Thresholds
    receivers: Mapping[str, Receiver]
    route: Route

    @functools.cached_property
    def touchpoint_names(self) -> frozenset[str]:
        """Every touchpoint a case can have: the configured ones and the default."""
        return frozenset(t.name for t in self.touchpoints) | {self.default_touchpoint}

    @functools.cached_property
    def _by_path(self) -> dict[str, Route]:
        return {node.path: node for node in self.route.walk()}

    def nodes(self, paths: Sequence[str]) -> tuple[Route, ...]:
        """Return the routing nodes with these paths, in the order given."""
        return tuple(self._by_path[path] for path in paths if path in self._by_path)

    priority: PriorityRules = field(default_factory=PriorityRules)
    # Customer attributes an alert shows (plan, region...): `alert_attributes`, else the
    # attributes the matchers name, since those are what the routing cares about.
    alert_attributes: tuple[str, ...] = ()


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class _TouchpointSchema(_Strict):
    description = fields.String(required=True, validate=validate.Length(min=1, max=300))
    keywords = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)


class _PolicySchema(_Strict):
    nps_detractor_max = fields.Integer(strict=True, validate=validate.Range(0, 10))
    csat_max = fields.Integer(strict=True, validate=validate.Range(1, 5))
    ces_min = fields.Integer(strict=True, validate=validate.Range(1, 7))
    polarity_below = fields.Float(validate=validate.Range(-1, 1))
    praise_above = fields.Float(validate=validate.Range(-1, 1))
    on_disagreement = fields.Enum(OnDisagreement, by_value=True)


class _PrioritySchema(_Strict):
    p1_at = fields.Integer(strict=True, validate=validate.Range(1, 100))
    p2_at = fields.Integer(strict=True, validate=validate.Range(1, 100))
    strong_polarity = fields.Float(validate=validate.Range(-1, 0))
    repeat_window_days = fields.Integer(strict=True, validate=validate.Range(0, 3650))
    value_attributes = fields.Dict(
        keys=fields.String(
            validate=validate.Regexp(LABEL_NAME.pattern + r"\Z", error="not an attribute name")
        ),
        values=fields.List(
            fields.String(validate=validate.Length(min=1)),
            validate=validate.Length(min=1, error="list at least one value"),
        ),
    )
    points = fields.Dict(
        keys=fields.String(
            validate=validate.OneOf(DEFAULT_POINTS, error="unknown factor (known: {choices})")
        ),
        values=fields.Integer(strict=True, validate=validate.Range(0, 100)),
    )

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        p1_at = data.get("p1_at", PriorityRules.p1_at)
        p2_at = data.get("p2_at", PriorityRules.p2_at)
        if p2_at >= p1_at:
            raise ValidationError(f"must be under p1_at ({p1_at})", "p2_at")


class _SlackSchema(_Strict):
    webhook_url_env = fields.String(
        validate=validate.Regexp(ENV_NAME, error="must be an environment variable name")
    )
    channel = fields.String(validate=validate.Length(min=1, max=200))

    @validates_schema
    def _one_of(self, data: dict[str, Any], **_: Any) -> None:
        if len(data) != 1:
            raise ValidationError("give exactly one of webhook_url_env or channel", "_schema")


class _ReceiverSchema(_Strict):
    name = fields.String(
        required=True,
        validate=validate.Regexp(r"[A-Za-z0-9_.-]{1,100}\Z", error="use letters, digits, _ . -"),
    )
    email = fields.List(fields.Email(), load_default=list)
    slack = fields.List(fields.Nested(_SlackSchema), load_default=list)
    personal_data = fields.Boolean(load_default=True)


class _RouteSchema(_Strict):
    receiver = fields.String(validate=validate.Length(min=1))
    matchers = fields.List(fields.String(), load_default=list)
    continue_ = fields.Boolean(data_key="continue", load_default=False)
    routes = fields.List(fields.Nested(lambda: _RouteSchema()), load_default=list)
    group_by = fields.List(
        fields.String(
            validate=validate.Regexp(LABEL_NAME.pattern + r"\Z", error="not a label name")
        ),
        validate=validate.Length(max=20),
    )
    group_wait = fields.String()
    group_interval = fields.String()
    repeat_interval = fields.String()


class _ConfigSchema(_Strict):
    touchpoints = fields.Dict(
        keys=fields.String(
            validate=validate.Regexp(
                r"[a-z][a-z0-9_]{0,99}\Z", error="use lowercase letters, digits, _"
            )
        ),
        values=fields.Nested(_TouchpointSchema),
        required=True,
    )
    default_touchpoint = fields.String(load_default="general")
    policy = fields.Nested(_PolicySchema, load_default=dict)
    priority = fields.Nested(_PrioritySchema, load_default=dict)
    receivers = fields.List(fields.Nested(_ReceiverSchema), required=True)
    route = fields.Nested(_RouteSchema, required=True)
    alert_attributes = fields.List(
        fields.String(
            validate=validate.Regexp(LABEL_NAME.pattern + r"\Z", error="not an attribute name")
        ),
        validate=validate.Length(max=20),
    )


def load_config(path: Path | str) -> RouterConfig:
    """Read and validate a routing file; raise ConfigError naming every problem."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(source, [("(file)", f"cannot read: {exc.strerror or exc}")]) from None
    return parse_config(text, source=source)


def parse_config(text: str, *, source: str = "<routes>") -> RouterConfig:
    """Validate routing YAML given as text; raise ConfigError naming every problem."""
    try:
        document = yaml_load.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(yaml)"
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(source, [(where, f"invalid YAML: {reason}")]) from None
    if not isinstance(document, dict):
        raise ConfigError(
            source, [("(top)", "must be a mapping with touchpoints, receivers, route")]
        )
    try:
        data = _ConfigSchema().load(document)
    except ValidationError as exc:
        raise ConfigError(source, sorted(_flatten(exc.messages))) from None
    problems: list[tuple[str, str]] = []
    receivers = _receivers(data["receivers"], problems)
    declared = set(data["touchpoints"]) | {data["default_touchpoint"]}
    route = _route(data["route"], "route", None, receivers, declared, problems, _ROOT_GROUPING)
    shown = _alert_attributes(data.get("alert_attributes"), route, problems)
    if problems:
        raise ConfigError(source, problems)
    return RouterConfig(
        source=source,
        touchpoints=tuple(
            TouchpointSpec(name, spec["description"], tuple(spec["keywords"]))
            for name, spec in data["touchpoints"].items()
        ),
        default_touchpoint=data["default_touchpoint"],
        thresholds=Thresholds(**data["policy"]),
        receivers=receivers,
        route=route,
        priority=_priority(data["priority"]),
        alert_attributes=shown,
    )


def _alert_attributes(
    given: list[str] | None, route: Route, problems: list[tuple[str, str]]
) -> tuple[str, ...]:
    """The attributes alerts show: the given list (no computed labels), else the matchers'."""
    if given is None:
        named = (m.name for node in route.walk() for m in node.matchers)
        return tuple(dict.fromkeys(n for n in named if n not in COMPUTED_LABELS))
    for i, name in enumerate(given):
        if name in COMPUTED_LABELS:
            problems.append(
                (f"alert_attributes[{i}]", f"{name!r} is computed by the router, not an attribute")
            )
    return tuple(dict.fromkeys(given))


def _priority(data: dict[str, Any]) -> PriorityRules:
    """Build the severity rules: given points override the defaults, values compare lower-case."""
    values = {
        key: tuple(dict.fromkeys(v.strip().lower() for v in wanted))
        for key, wanted in data.pop("value_attributes", {}).items()
    }
    points = MappingProxyType({**DEFAULT_POINTS, **data.pop("points", {})})
    return PriorityRules(**data, value_attributes=MappingProxyType(values), points=points)


def _flatten(messages: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Turn marshmallow's nested messages into (key path, reason) pairs."""
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        for message in messages:
            yield path or "(top)", "unknown key" if message == "Unknown field." else message
        return
    for key, value in dict(messages).items():
        if key == "_schema":
            yield from _flatten(value, path)
        elif key in ("key", "value") and path.startswith(("touchpoints.", "priority.")):
            yield from _flatten(value, path)  # fields.Dict nests under key/value; hide that
        elif isinstance(key, int):
            yield from _flatten(value, f"{path}[{key}]")
        else:
            yield from _flatten(value, f"{path}.{key}" if path else str(key))


def _receivers(items: list[dict[str, Any]], problems: list[tuple[str, str]]) -> dict[str, Receiver]:
    receivers: dict[str, Receiver] = {}
    for i, item in enumerate(items):
        name = item["name"]
        if name in receivers:
            problems.append((f"receivers[{i}].name", f"duplicate receiver {name!r}"))
            continue
        slack = tuple(
            f"webhook:{s['webhook_url_env']}"
            if "webhook_url_env" in s
            else f"channel:{s['channel']}"
            for s in item["slack"]
        )
        receivers[name] = Receiver(name, tuple(item["email"]), slack, item["personal_data"])
    return receivers


# What the root inherits: no grouping, Alertmanager's default timers.
_ROOT_GROUPING = Grouping((), DEFAULT_WAIT_S, DEFAULT_INTERVAL_S, DEFAULT_REPEAT_S)
_TIMERS = {"group_wait": "wait_s", "group_interval": "interval_s", "repeat_interval": "repeat_s"}


def _grouping(
    data: dict[str, Any], path: str, inherited: Grouping, problems: list[tuple[str, str]]
) -> Grouping:
    """This node's grouping: its own keys over the parent's (an empty group_by turns it off)."""
    changes: dict[str, Any] = {}
    if "group_by" in data:
        by = data["group_by"]
        if len(set(by)) != len(by):
            problems.append((f"{path}.group_by", "a label is listed twice"))
        changes["by"] = tuple(dict.fromkeys(by))
    for key, attribute in _TIMERS.items():
        if key not in data:
            continue
        try:
            seconds = parse_duration(data[key])
        except ValueError as exc:
            problems.append((f"{path}.{key}", str(exc)))
            continue
        if seconds > MAX_DURATION_S or (seconds <= 0 and key != "group_wait"):
            problems.append((f"{path}.{key}", "must be above 0 and at most 30d"))
            continue
        changes[attribute] = seconds
    grouping = replace(inherited, **changes)
    if changes and grouping.repeat_s < grouping.interval_s:
        problems.append((f"{path}.repeat_interval", "must not be shorter than group_interval"))
    return grouping


def _route(
    data: dict[str, Any],
    path: str,
    parent: str | None,
    receivers: Mapping[str, Receiver],
    touchpoints: set[str],
    problems: list[tuple[str, str]],
    inherited: Grouping,
) -> Route:
    """Build one node and its children, inheriting receiver and grouping, recording problems."""
    grouping = _grouping(data, path, inherited, problems)
    receiver = data.get("receiver") or parent
    if receiver is None:
        problems.append((f"{path}.receiver", "the root route needs a default receiver"))
    elif receiver not in receivers:
        problems.append((f"{path}.receiver", f"undefined receiver {receiver!r}"))
    if parent is None and data["matchers"]:
        problems.append((f"{path}.matchers", "the root route matches everything: no matchers"))
    if parent is None and data["continue_"]:
        problems.append((f"{path}.continue", "the root route cannot continue"))
    matchers = []
    for i, text in enumerate(data["matchers"]):
        key = f"{path}.matchers[{i}]"
        try:
            matcher = parse_matcher(text)
        except ValueError as exc:
            problems.append((key, str(exc)))
            continue
        problems.extend((key, reason) for reason in _check_value(matcher, touchpoints))
        matchers.append(matcher)
    children = tuple(
        _route(
            child, f"{path}.routes[{i}]", receiver or "", receivers, touchpoints, problems, grouping
        )
        for i, child in enumerate(data["routes"])
    )
    return Route(
        receiver or "", tuple(matchers), data["continue_"], children, path,
        grouping if grouping.by else None,
    )  # fmt: skip


def _check_value(matcher: Matcher, touchpoints: set[str]) -> list[str]:
    """Catch matchers that can never mean what was written: unknown touchpoints or values."""
    allowed = (
        sorted(touchpoints) if matcher.name == "touchpoint" else LABEL_VALUES.get(matcher.name)
    )
    if allowed is None or not LABEL_NAME.fullmatch(matcher.name):
        return []
    what = "touchpoint" if matcher.name == "touchpoint" else f"{matcher.name} value"
    if matcher.op in (Op.EQ, Op.NE):
        if matcher.value and matcher.value not in allowed:
            return [f"undeclared {what} {matcher.value!r} (known: {', '.join(allowed)})"]
    elif matcher.pattern is not None and not any(matcher.pattern.fullmatch(v) for v in allowed):
        return [f"regex {matcher.value!r} matches no {what} (known: {', '.join(allowed)})"]
    return []
