"""Load YAML files into typed pydantic specs, keeping the line of every key for error messages.

A pydantic `ValidationError` knows *which* key is wrong (its `loc`), the YAML node knows *where*
that key is. Joining the two gives messages such as
`kpis/definitions/nps.yaml:12 [nps] 'ownr' is not a known key; did you mean 'owner'?`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import UnionType
from typing import Any, TypeVar, Union

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from core.errors import Problem

Loc = tuple[int | str, ...]
ModelT = TypeVar("ModelT", bound=BaseModel)


class LineMap:
    """Maps a key path inside a YAML document to the 1-based line it was written on."""

    def __init__(self, lines: dict[Loc, int]) -> None:
        self._lines = lines

    def line_of(self, loc: Loc) -> int | None:
        """The line of `loc`, or of its closest ancestor that was written in the file."""
        path = tuple(loc)
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return self._lines.get((), None)


def load_yaml(path: Path) -> tuple[Any, LineMap]:
    """Parse one YAML file; raise a `Problem`-carrying error with the line if it is not YAML."""
    text = _decoded(path)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlSyntaxError(
            Problem(
                f"this is not valid YAML: {err.problem}",
                file=path,
                line=line,
                fix="check the indentation and that every 'key: value' has a space after the colon",
            )
        ) from err
    except yaml.reader.ReaderError as err:
        raise YamlSyntaxError(
            Problem(
                f"this file holds a character YAML does not allow (code {err.character:#x})",
                file=path,
                line=text.count("\n", 0, err.position) + 1,
                fix="remove it; control characters are not allowed in YAML",
            )
        ) from err
    except RecursionError as err:
        raise YamlSyntaxError(
            Problem("this YAML is nested too deeply to read", file=path, line=1, fix="flatten the lists")
        ) from err
    if node is None:
        return None, LineMap({(): 1})
    lines: dict[Loc, int] = {}
    _record_lines(node, (), lines, path)
    try:
        data = _Loader(text).get_single_data()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        raise YamlSyntaxError(
            Problem(f"this YAML cannot be read: {err.problem}", file=path, line=mark.line + 1 if mark else None)
        ) from err
    return data, LineMap(lines)


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves an impossible date such as 2025-13-45 as the text it is.

    PyYAML's own constructor raised a bare ValueError for it, which no caller expected.
    """

    yaml_constructors = {  # noqa: RUF012 (PyYAML's own class-level registry, copied not shared)
        **yaml.SafeLoader.yaml_constructors,
        "tag:yaml.org,2002:timestamp": _timestamp_or_text,
    }


def _decoded(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise YamlSyntaxError(
            Problem(
                f"this file is not UTF-8 text (byte 0x{data[err.start]:02x} cannot be read)",
                file=path,
                line=data.count(b"\n", 0, err.start) + 1,
                fix="save it as UTF-8 (in most editors: Save with encoding, UTF-8)",
            )
        ) from err


class YamlSyntaxError(Exception):
    """Raised by `load_yaml`; carries the one problem it found."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def _record_lines(node: yaml.Node, loc: Loc, lines: dict[Loc, int], path: Path) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlSyntaxError(
                    Problem("a key must be a single word, not a list or a mapping", file=path, line=line)
                )
            key = key_node.value
            if key in seen:
                raise YamlSyntaxError(
                    Problem(
                        f"'{key}' is written twice, on lines {seen[key]} and {line}",
                        file=path,
                        line=line,
                        fix="keep one of them (YAML would silently use the last)",
                    )
                )
            seen[key] = line
            lines[(*loc, key)] = line
            _record_lines(value_node, (*loc, key), lines, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*loc, index)] = item.start_mark.line + 1
            _record_lines(item, (*loc, index), lines, path)


def validate(
    model: type[ModelT],
    data: Any,
    *,
    file: Path,
    lines: LineMap,
    subject: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> tuple[ModelT | None, list[Problem]]:
    """Validate `data` against `model`; return the spec, or every problem found, never both."""
    try:
        return model.model_validate(data, context=context), []
    except ValidationError as err:
        details = _without_consequences(_without_missing_keys_that_were_misspelled(err.errors(include_url=False)))
        return None, [_problem(detail, model, data, file=file, lines=lines, subject=subject) for detail in details]


def _without_consequences(details: list[ErrorDetails]) -> list[ErrorDetails]:
    """A list whose only item is wrong is also 'too short': report the item, not the echo."""
    locs = [tuple(d["loc"]) for d in details]

    def echo(detail: ErrorDetails) -> bool:
        loc = tuple(detail["loc"])
        return detail["type"] == "too_short" and any(len(o) > len(loc) and o[: len(loc)] == loc for o in locs)

    return [d for d in details if not echo(d)]


def _without_missing_keys_that_were_misspelled(details: list[ErrorDetails]) -> list[ErrorDetails]:
    """'ownr' unknown and 'owner' missing are one mistake: keep the one that says 'did you mean'."""
    unknown = {(tuple(d["loc"][:-1]), str(d["loc"][-1])) for d in details if d["type"] == "extra_forbidden"}

    def misspelled(detail: ErrorDetails) -> bool:
        parent, key = tuple(detail["loc"][:-1]), str(detail["loc"][-1])
        return any(p == parent and difflib.get_close_matches(key, [u], n=1, cutoff=0.6) for p, u in unknown)

    return [d for d in details if not (d["type"] == "missing" and misspelled(d))]


def _problem(
    detail: ErrorDetails,
    model: type[BaseModel],
    data: Any,
    *,
    file: Path,
    lines: LineMap,
    subject: str | None,
) -> Problem:
    raw_loc = tuple(detail["loc"])
    loc = _yaml_loc(raw_loc, data)
    key = ".".join(str(part) for part in loc) or "(top level)"
    line = lines.line_of(loc)
    kind = detail["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, raw_loc[:-1])
        wrong = str(loc[-1])
        close = difflib.get_close_matches(wrong, allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        fix = f"{hint}allowed keys here: {', '.join(allowed)}" if allowed else None
        return Problem(f"'{key}' is not a known key", file, line, subject, fix)
    if kind == "missing":
        return Problem(f"'{key}' is required but missing", file, line, subject, f"add '{loc[-1]}:'")
    if kind == "union_tag_invalid":
        ctx = detail.get("ctx", {})
        loc = (*loc, "type")
        return Problem(
            f"'{'.'.join(str(p) for p in loc)}': unknown type {ctx.get('tag')!r}",
            file,
            lines.line_of(loc),
            subject,
            f"use one of {ctx.get('expected_tags')}",
        )
    if kind == "union_tag_not_found":
        return Problem(
            f"'{key}' has no 'type:'", file, line, subject, "add 'type:' with one of the types listed in the README"
        )
    value = detail.get("input")
    shown = f" (got {value!r})" if not isinstance(value, (dict, list)) else ""
    message = detail["msg"].removeprefix("Value error, ")
    return Problem(f"'{key}': {message}{shown}", file, line, subject, _fix_for(kind))


def _yaml_loc(loc: Loc, data: Any) -> Loc:
    """Keep the parts of a pydantic location that are keys or indexes written in the YAML.

    Discriminated unions insert their tag ('csv', 'nps') and function validators insert names
    like 'function-after[...]' into `loc`; neither is a key in the file.
    """
    kept: list[int | str] = []
    current: Any = data
    for part in loc:
        written = (isinstance(current, dict) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and part < len(current)
        )
        if written:
            current = current[part]
            kept.append(part)
        elif isinstance(current, dict) and not _is_tag(part, current):
            kept.append(part)  # a missing or unknown key: the error is about this very key
            current = None
    return tuple(kept)


def _is_tag(part: int | str, mapping: dict[str, Any]) -> bool:
    return isinstance(part, str) and (mapping.get("type") == part or "[" in part)


def _fix_for(kind: str) -> str | None:
    fixes = {
        "int_parsing": "write a whole number",
        "int_type": "write a whole number",
        "float_parsing": "write a number",
        "float_type": "write a number",
        "bool_parsing": "write true or false",
        "bool_type": "write true or false",
        "date_from_datetime_parsing": "write a date as YYYY-MM-DD",
        "date_parsing": "write a date as YYYY-MM-DD",
        "date_type": "write a date as YYYY-MM-DD",
        "string_type": "write text (quote it if it looks like a number or a date)",
        "dict_type": "write 'key: value' pairs indented under this key",
        "model_type": "write 'key: value' pairs indented under this key",
        "list_type": "write a list, one '- item' per line",
    }
    return fixes.get(kind)


def _allowed_keys(model: type[BaseModel], parent: Loc) -> list[str]:
    """The keys a model accepts at `parent`, following nested models, dicts, lists and tags."""
    current: Any = model
    for part in parent:
        current = _step(current, part)
        if current is None:
            return []
    for candidate in _candidates(current):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return sorted(_input_names(candidate))
    return []


def _input_names(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def _step(annotation: Any, part: int | str) -> Any:
    candidates = list(_candidates(annotation))
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            for name, field in candidate.model_fields.items():
                if part in (name, field.alias):
                    return field.annotation
            if _tag_of(candidate) == part:
                return candidate
    for candidate in candidates:
        args = getattr(candidate, "__args__", ())
        if args and getattr(candidate, "__origin__", None) in (dict, list, tuple):
            return args[-1] if args[-1] is not Ellipsis else args[0]
    return None


def _tag_of(model: type[BaseModel]) -> str | None:
    field = model.model_fields.get("type")
    args: tuple[Any, ...] = getattr(field.annotation, "__args__", ()) if field is not None else ()
    return args[0] if len(args) == 1 and isinstance(args[0], str) else None


def _candidates(annotation: Any) -> Iterator[Any]:
    origin = getattr(annotation, "__origin__", None)
    metadata = getattr(annotation, "__metadata__", None)
    if metadata is not None:  # Annotated[X, ...]
        yield from _candidates(origin)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation.__pydantic_root_model__:
        yield from _candidates(annotation.model_fields["root"].annotation)
    elif origin is Union or type(annotation) is UnionType:
        for arg in annotation.__args__:
            yield from _candidates(arg)
    else:
        yield annotation


def load_spec(
    model: type[ModelT],
    path: Path,
    *,
    subject: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> tuple[ModelT | None, list[Problem]]:
    """Read and validate one YAML file into `model`."""
    try:
        data, lines = load_yaml(path)
    except YamlSyntaxError as err:
        return None, [err.problem]
    if not isinstance(data, dict):
        return None, [Problem("the file must be a set of 'key: value' lines", path, 1, subject)]
    return validate(model, data, file=path, lines=lines, subject=subject, context=context)
