"""Print the README's configuration table from `interfaces.settings.Settings`.

    python docs/gen_settings_table.py            # print the table
    python docs/gen_settings_table.py --write    # replace it in README.md between the markers

tests/unit/test_readme.py fails when the README's table and this output differ.
"""

from __future__ import annotations

import sys
import typing
from enum import Enum
from pathlib import Path

from pydantic import SecretStr
from pydantic.fields import FieldInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from interfaces.settings import Settings  # noqa: E402 (needs ROOT on sys.path when run as a script)

README = ROOT / "README.md"
START = "<!-- settings:start -->"
END = "<!-- settings:end -->"


def settings_table() -> str:
    """The markdown table: one row per setting, in the order the class declares them."""
    prefix = Settings.model_config.get("env_prefix", "")
    rows = ["| Variable | Default | Description |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        variable = f"`{(prefix + name).upper()}`"
        rows.append(f"| {variable} | {_default(field)} | {_escape(_description(field))} |")
    return "\n".join(rows)


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "*(required)*"
    value = field.get_default(call_default_factory=True, validated_data={})
    if value is None:
        return "*(unset)*"
    if isinstance(value, SecretStr):
        return "*(development value, not shown)*"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, list | tuple | set):
        return "`[]`" if not value else f"`{list(value)}`"
    return f"`{value}`"


def _description(field: FieldInfo) -> str:
    text = field.description or ""
    choices = _choices(field.annotation)
    if choices:
        listed = ", ".join(f"`{choice}`" for choice in choices)
        text = f"{text}; one of {listed}" if text else f"one of {listed}"
    return text


def _choices(annotation: object) -> list[str]:
    """The allowed values of a Literal (also inside `X | None`)."""
    if typing.get_origin(annotation) is typing.Literal:
        return [str(arg) for arg in typing.get_args(annotation)]
    for arg in typing.get_args(annotation):
        if typing.get_origin(arg) is typing.Literal:
            return _choices(arg)
    return []


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def readme_table(readme: str) -> str:
    """The table currently between the markers in README text."""
    start = readme.index(START) + len(START)
    end = readme.index(END, start)
    return readme[start:end].strip()


def write_readme(path: Path = README) -> None:
    text = path.read_text(encoding="utf-8")
    start = text.index(START) + len(START)
    end = text.index(END, start)
    path.write_text(text[:start] + "\n" + settings_table() + "\n" + text[end:], encoding="utf-8")


def main(argv: list[str]) -> int:
    if argv == ["--write"]:
        write_readme()
        return 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    print(settings_table())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
