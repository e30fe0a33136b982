"""The typed settings sections match the options table field for field, so neither can drift from the other.

The oracle is the options table (bot/core/options.py, which also renders config/bot.toml and the README's table):
every option has a field of its section's dataclass with the type its kind means and the same default, and no
field exists without an option.
"""

from __future__ import annotations

import dataclasses
from typing import Literal, get_type_hints

import pytest

from bot.core import settings as config
from bot.core.options import OPTIONS, SECTION_CLASSES, SECTIONS, TOP_LEVEL, Option

KINDS: dict[str, object] = {"str": str, "int": int, "float": float, "bool": bool, "list": list[str]}


def _expected(option: Option) -> object:
    return Literal[option.choices] if option.type == "choice" else KINDS[option.type]  # type: ignore[valid-type]


def _default(f: dataclasses.Field[object]) -> object:
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


def test_every_section_has_one_frozen_dataclass_and_a_typed_attribute_of_settings() -> None:
    assert list(SECTION_CLASSES) == list(SECTIONS)
    hints = get_type_hints(config.Settings)
    for section, cls in SECTION_CLASSES.items():
        assert isinstance(cls, type) and dataclasses.is_dataclass(cls), section
        assert cls.__dataclass_params__.frozen, f"{cls.__name__} is not frozen"  # type: ignore[attr-defined]
        assert hints[section] is cls, f"Settings.{section} is typed {hints[section]}, not {cls.__name__}"
    for option in TOP_LEVEL:
        assert hints[option.key] == KINDS[option.type], option.name


@pytest.mark.parametrize("option", OPTIONS, ids=lambda o: o.name)
def test_every_option_has_a_field_of_its_type_and_default(option: Option) -> None:
    if not option.section:
        return
    cls = SECTION_CLASSES[option.section]
    assert isinstance(cls, type)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    assert option.key in fields, f"{cls.__name__} has no field {option.key} for {option.name}"
    assert get_type_hints(cls)[option.key] == _expected(option), option.name
    default = _default(fields[option.key])
    assert default == option.default and type(default) is type(option.default), option.name


def test_no_field_without_an_option() -> None:
    for section, cls in SECTION_CLASSES.items():
        assert isinstance(cls, type)
        keys = [o.key for o in OPTIONS if o.section == section]
        assert [f.name for f in dataclasses.fields(cls)] == keys, section


def test_loaded_values_have_their_fields_types() -> None:
    env = {"BOT_THREAD_TWEETS": "5", "BOT_FEED_TIMEOUT": "7", "BOT_THREAD_NUMBERING": "yes", "BOT_THREAD_LINK": "FIRST",
           "BOT_FEED_URL": "a, b", "BOT_NETWORKS": "Bluesky,x"}
    s = config.load(env, dotenv=None)
    assert s.thread.tweets == 5 and s.feed.timeout == 7.0 and isinstance(s.feed.timeout, float)
    assert s.thread.numbering is True and s.thread.link == "first" and s.feed.urls == ["a", "b"]
    assert s.networks == ["bluesky", "x"]
    for option in OPTIONS:
        section = getattr(s, option.section) if option.section else s
        value = getattr(section, option.key)
        assert value == s.values[option.name], option.name
        kind = str if option.type == "choice" else (list if option.type == "list" else KINDS[option.type])
        assert type(value) is kind, option.name


def test_a_section_is_frozen_and_replace_keeps_the_types() -> None:
    s = config.load({}, dotenv=None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.thread.tweets = 9  # type: ignore[misc]
    changed = s.replace(thread__tweets="4", x__thread_mode="Quote")
    assert changed.thread.tweets == 4 and changed.x.thread_mode == "quote" and s.thread.tweets == 3
