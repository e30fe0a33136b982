"""Renders the settings table as config/bot.toml and as docs/settings.md's table; `python -m bot.core.settings_doc` rewrites both."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from bot.core.options import OPTIONS, SECRETS, SECTIONS, TOP_LEVEL, Option

DOC = Path("docs") / "settings.md"  # under the checkout
README_START = "<!-- settings:start -->"
README_END = "<!-- settings:end -->"


def _toml_value(option: Option) -> str:
    value = option.default
    if option.type == "bool":
        return "true" if value else "false"
    if option.type in ("int", "float"):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def toml_text() -> str:
    """The settings file with every option at its default, each with its description and environment variable."""
    lines = [
        "# Settings for substack-thread-bot. Every option is shown at its default.",
        "# Order of precedence: defaults < this file (or the file named by BOT_CONFIG) < environment variables.",
        "# Secrets (tokens, keys, DATABASE_URL) never go here: set them in the environment or a .env file:",
    ]
    lines += [f"#   {name}: {text}" for name, text in SECRETS.items()]
    for option in TOP_LEVEL:  # TOML: keys before the first [section] belong to no section
        lines += ["", f"# {option.help} (env {option.env})", f"{option.key} = {_toml_value(option)}"]
    for section in SECTIONS:
        lines += ["", f"[{section}]"]
        for option in (o for o in OPTIONS if o.section == section):
            allowed = f" Allowed: {', '.join(option.choices)}." if option.choices else ""
            lines.append(f"# {option.help}{allowed} (env {option.env})")
            lines.append(f"{option.key} = {_toml_value(option)}")
    return "\n".join(lines) + "\n"


def markdown_table() -> str:
    """The settings table of docs/settings.md."""
    rows = ["| setting | environment | default | what it does |", "|---|---|---|---|"]
    for option in OPTIONS:
        default = _toml_value(option).replace("|", "\\|")
        allowed = f" ({' / '.join(option.choices)})" if option.choices else ""
        rows.append(f"| `{option.name}` | `{option.env}` | `{default}` | {option.help}{allowed} |")
    rows += ["", "| secret (environment or `.env` only) | what it is |", "|---|---|"]
    rows += [f"| `{name}` | {text} |" for name, text in SECRETS.items()]
    return "\n".join(rows) + "\n"


def readme_with_table(readme: str) -> str:
    """The text of docs/settings.md with its settings block replaced by the current table."""
    pattern = re.compile(re.escape(README_START) + ".*?" + re.escape(README_END), re.S)
    return pattern.sub(lambda m: f"{README_START}\n{markdown_table()}{README_END}", readme)


def main() -> None:
    """Rewrite config/bot.toml and docs/settings.md's table from the options table."""
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
    (root / "config" / "bot.toml").write_text(toml_text(), encoding="utf-8")
    readme = root / DOC
    if readme.exists():
        readme.write_text(readme_with_table(readme.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
