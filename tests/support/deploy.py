"""Reading the deployment files as the tools that consume them do: env files, Compose
interpolation, Dockerfile instructions, .dockerignore, and the settings the app reads.

No container engine or cluster runs here, so these are small, strict readers of the formats
(Compose's ``${VAR:-default}`` / ``${VAR:?error}`` interpolation, Docker's instruction syntax
and ignore-file rules) that the deploy tests check the files with.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CHART = DEPLOY / "helm" / "quiet-hours"
ENV_EXAMPLE = DEPLOY / ".env.example"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
#: Where the app's code lives (everything the image ships).
APP_PACKAGES = ("bot", "adapters", "migrations", "policies")


# -- the settings the app reads ------------------------------------------------------------


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _is_environ(node: ast.expr) -> bool:
    """``os.environ``, ``environ`` or ``env`` (the mapping bot/settings.py reads from)."""
    if isinstance(node, ast.Attribute):
        return node.attr == "environ"
    return isinstance(node, ast.Name) and node.id in {"env", "environ"}


def _env_reads(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        name: str | None = None
        if isinstance(node, ast.Call):
            func, args = node.func, node.args
            # _get(env, "NAME"), _positive(env, "NAME", 60.0), any helper taking env first
            if len(args) >= 2 and _is_environ(args[0]):
                name = _literal(args[1])
            # os.environ.get("NAME"), env.get("NAME"), os.getenv("NAME")
            elif isinstance(func, ast.Attribute) and (
                (func.attr == "get" and _is_environ(func.value)) or func.attr == "getenv"
            ):
                name = _literal(args[0]) if args else None
        elif isinstance(node, ast.Subscript) and _is_environ(node.value):
            name = _literal(node.slice)
        if name is not None and _ENV_NAME.match(name):
            yield name


def app_settings() -> set[str]:
    """Every environment variable the shipped code reads (bot/, adapters/, migrations/)."""
    names: set[str] = set()
    for package in APP_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            names.update(_env_reads(ast.parse(path.read_text(encoding="utf-8"))))
    return names


def readme_configuration_table() -> set[str]:
    """The variables named in the first column of the README's "Configuration" table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return names


# -- env files -----------------------------------------------------------------------------


def env_file(path: Path) -> dict[str, str]:
    """``NAME=value`` lines of an env file in order; comments and blank lines skipped."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, sep, value = stripped.partition("=")
        if not sep or not _ENV_NAME.match(name):
            raise AssertionError(f"{path.name}:{number}: not NAME=value: {line!r}")
        if name in values:
            raise AssertionError(f"{path.name}:{number}: {name} appears twice")
        values[name] = value
    return values


def env_file_comments(path: Path) -> dict[str, list[str]]:
    """For each variable, the comment lines directly above it (its documentation)."""
    comments: dict[str, list[str]] = {}
    block: list[str] = []
    after_variable = False
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            if after_variable:
                block = []
            block.append(stripped.lstrip("# "))
            after_variable = False
        elif "=" in stripped:
            # consecutive variables share the comment above the first of them
            comments[stripped.split("=", 1)[0]] = list(block)
            after_variable = True
        else:
            block, after_variable = [], False
    return comments


# -- Compose interpolation -----------------------------------------------------------------


class InterpolationError(Exception):
    """``${VAR:?message}`` with VAR unset or empty: Compose stops with the message."""


def _closing_brace(text: str, start: int) -> int:
    depth = 0
    for index in range(start, len(text)):
        if text.startswith("${", index):
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError(f"unclosed ${{ in {text!r}")


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's interpolation: ``$$``, ``${V}``, ``${V:-default}``, ``${V-default}``,
    ``${V:?error}``, ``${V?error}``, nested in defaults."""
    out: list[str] = []
    index = 0
    while index < len(text):
        if text.startswith("$$", index):
            out.append("$")
            index += 2
        elif text.startswith("${", index):
            end = _closing_brace(text, index)
            out.append(_expand(text[index + 2 : end], env))
            index = end + 1
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def _expand(body: str, env: Mapping[str, str]) -> str:
    match = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(:?[-?])?(.*)$", body, re.DOTALL)
    if match is None:
        raise ValueError(f"bad interpolation ${{{body}}}")
    name, operator, rest = match.groups()
    value = env.get(name)
    unset = value is None or (operator is not None and operator.startswith(":") and value == "")
    if operator in (":-", "-"):
        return interpolate(rest, env) if unset else str(value)
    if operator in (":?", "?"):
        if unset:
            raise InterpolationError(interpolate(rest, env))
        return str(value)
    return value or ""


def interpolated(node: object, env: Mapping[str, str]) -> object:
    """A parsed Compose file with every string interpolated."""
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolated(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolated(value, env) for key, value in node.items()}
    return node


def interpolation_names(text: str) -> set[str]:
    """Every variable a Compose file interpolates (``$$`` escapes excluded)."""
    return set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", text))


# -- Dockerfile ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction with its continuation lines joined; ``stage`` counts FROMs."""

    keyword: str
    arguments: str
    stage: int
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form ENTRYPOINT/CMD (or HEALTHCHECK's CMD), else None."""
        text = self.arguments
        if self.keyword == "HEALTHCHECK":
            text = text.split(" CMD ", 1)[1] if " CMD " in text else ""
        text = text.strip()
        if not text.startswith("["):
            return None
        value = json.loads(text)
        assert isinstance(value, list) and all(isinstance(item, str) for item in value)
        return value


def dockerfile(path: Path = DOCKERFILE) -> list[Instruction]:
    """The instructions of a Dockerfile (comments dropped, ``\\`` continuations joined)."""
    instructions: list[Instruction] = []
    stage = -1
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1].strip())
            continue
        pending.append(line)
        text = " ".join(part for part in pending if part)
        pending = []
        keyword, _, arguments = text.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, arguments.strip(), stage, start))
    return instructions


# -- .dockerignore ---------------------------------------------------------------------------


def _pattern(pattern: str) -> re.Pattern[str]:
    regex = ""
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            regex += "(?:.*/)?"
            index += 3
        elif pattern.startswith("**", index):
            regex += ".*"
            index += 2
        elif pattern[index] == "*":
            regex += "[^/]*"
            index += 1
        elif pattern[index] == "?":
            regex += "[^/]"
            index += 1
        else:
            regex += re.escape(pattern[index])
            index += 1
    return re.compile(regex + "$")


def dockerignore_rules(path: Path = DOCKERIGNORE) -> list[tuple[bool, re.Pattern[str]]]:
    """(exclude?, pattern) in file order; the last matching rule decides, as in Docker."""
    rules: list[tuple[bool, re.Pattern[str]]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclude = not line.startswith("!")
        pattern = line.lstrip("!").strip().strip("/")
        rules.append((exclude, _pattern(pattern)))
    return rules


def in_build_context(relative: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether Docker sends ``relative`` (a/b/c.py): a rule matches a path or any parent."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: count + 1]) for count in range(len(parts))]
    excluded = False
    for exclude, pattern in rules:
        if any(pattern.match(prefix) for prefix in prefixes):
            excluded = exclude
    return not excluded
