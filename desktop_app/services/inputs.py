"""Read a workflow's inputs: one text, a text file, an ``.eml``, a CSV file's rows, or a folder.

What a file is read as depends on its extension, not on the workflow's input
kind, so ``signoff run NAME --input PATH`` works for every kind.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from desktop_app.core.errors import KnownError
from desktop_app.core.inputdoc import InputDoc, content_hash
from desktop_app.core.spec_model import Spec

TEXT_SUFFIXES = {".txt", ".md", ".text", ".markdown", ""}


class InputError(KnownError):
    """An input that cannot be read at all (missing, unreadable, not text)."""


CSV_FIELD_LIMIT = 16 * 1024 * 1024  # csv's own 128 KB limit stopped a whole file at one long field
_SNIFF = 8192


def looks_binary(raw: bytes) -> bool:
    """A NUL byte, or more than one in ten bytes a control character no text uses."""
    head = raw[:_SNIFF]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32 or b == 127)
    return bool(head) and controls * 10 > len(head)


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"input not found: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if looks_binary(raw):
        raise InputError(f"{path} is not a text file (it holds binary data)")
    return raw


def read_text_file(path: Path) -> str:
    raw = _read_bytes(path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def from_text(text: str, name: str = "") -> InputDoc:
    """Text given on the command line or pasted into the window."""
    first_line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    label = name or (first_line[:40] + ("…" if len(first_line) > 40 else "")) or "text"
    return InputDoc(key=f"text:{content_hash(text)}", name=label, text=text)


def unreadable(
    path: Path, reason: str, *, key: str | None = None, name: str | None = None
) -> InputDoc:
    """An input that could not be read: it becomes an escalated item (or a skip) saying why."""
    return InputDoc(key=key or str(path.resolve()), name=name or path.stem, text="", problem=reason)


def from_eml(path: Path) -> InputDoc:
    """An e-mail as ``From/To/Subject/Date`` lines and its plain-text body
    (``services/email_reader``: a malformed header or MIME part never stops the reading)."""
    from desktop_app.services.email_reader import read_email

    raw = _read_bytes(path)
    mail = read_email(raw)
    fields = {**mail.headers, "body": mail.body.strip()}
    header = "\n".join(f"{k.capitalize()}: {v}" for k, v in mail.headers.items() if v)
    text = f"{header}\n\n{fields['body']}".strip()
    return InputDoc(
        key=str(path.resolve()), name=path.stem, text=text, fields=fields, note=mail.note
    )


def row_text(fields: dict[str, str]) -> str:
    """A CSV row as ``header: value`` lines, the form ``input.text`` and patterns see."""
    return "\n".join(f"{k}: {v}" for k, v in fields.items())


def from_csv(path: Path) -> Iterator[InputDoc]:
    """One input per data row; header names become ``input.fields``. A row that cannot be
    read, or has more or fewer fields than the header, is an input with its ``problem``."""
    text = read_text_file(path)
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:4096], delimiters=",;\t"
        )
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect=dialect)
    try:
        header_row = next(reader, None)
    except csv.Error as exc:
        raise InputError(f"{path}: the header row cannot be read ({exc})") from None
    if not header_row or not any(h.strip() for h in header_row):
        raise InputError(f"{path} has no header row")
    headers = [h.strip() for h in header_row]
    resolved = path.resolve()
    number = 0
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            key, name = _row_id(path, resolved, number)
            why = f"{path.name} row {number} (line {line}) cannot be read: {exc}"
            yield unreadable(path, why, key=key, name=name)
            continue
        if not any(v.strip() for v in values):
            continue  # blank line
        number += 1
        yield _csv_row(path, resolved, headers, values, number, line)


def _row_id(path: Path, resolved: Path, number: int) -> tuple[str, str]:
    """(key, name) of a CSV file's data row ``number``: the key is what marks it processed."""
    return f"{resolved}#row{number}", f"{path.stem} row {number}"


def _csv_row(
    path: Path, resolved: Path, headers: list[str], values: list[str], number: int, line: int
) -> InputDoc:
    fields = {h: v.strip() for h, v in zip(headers, values)}
    extra = [v for v in values[len(headers) :] if v.strip()]
    problem = ""
    if extra or len(values) < len(headers):
        problem = (
            f"{path.name} row {number} (line {line}) has {len(values)} fields; its header has"
            f" {len(headers)}" + (f" (more: {', '.join(extra)[:200]})" if extra else "")
        )
        for n, value in enumerate(extra, start=1):
            fields[f"extra {n}"] = value.strip()
    key, name = _row_id(path, resolved, number)
    return InputDoc(key=key, name=name, text=row_text(fields), fields=fields, problem=problem)


def from_file(path: Path) -> Iterator[InputDoc]:
    """The inputs of one file, by its extension."""
    if not path.exists():
        raise InputError(f"input not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from from_csv(path)
    elif suffix == ".eml":
        yield from_eml(path)
    else:
        yield InputDoc(key=str(path.resolve()), name=path.stem, text=read_text_file(path))


def guarded(path: Path) -> Iterator[InputDoc]:
    """The inputs of one file of a folder: one that cannot be read at all is an input with
    its ``problem``, so the folder's other files go on."""
    try:
        yield from from_file(path)
    except InputError as exc:
        yield unreadable(path, str(exc))
    except Exception as exc:  # what a file holds never stops its source
        yield unreadable(path, f"{path.name} cannot be read: {type(exc).__name__}: {exc}")


def from_path(path: Path, glob: str = "*") -> Iterator[InputDoc]:
    """Inputs from one file (by extension) or every matching file in a folder, sorted by
    name; in a folder each file is read in its own guard (``guarded``)."""
    if path.is_dir():
        files = sorted(p for p in path.glob(glob) if p.is_file() and not p.name.startswith("."))
        for file in files:
            yield from guarded(file)
        return
    yield from from_file(path)


def configured_source(spec: Spec, data_dir: Path) -> Path:
    """The folder or CSV file a ``folder``/``csv`` workflow reads when no input is given."""
    if spec.input.kind not in ("folder", "csv") or not spec.input.path:
        raise InputError(
            f"workflow '{spec.name}' takes its input on demand: give --input PATH or --text TEXT"
        )
    source = Path(spec.input.path).expanduser()
    if not source.is_absolute():
        source = data_dir / source
    if not source.exists():
        what = "folder" if spec.input.kind == "folder" else "file"
        raise InputError(f"the input {what} of '{spec.name}' does not exist: {source}")
    return source


def read_inputs(
    spec: Spec, data_dir: Path, *, input_path: Path | None = None, text: str | None = None
) -> list[InputDoc]:
    """Every input of one run, in order."""
    if text is not None:
        return [from_text(text)]
    if input_path is not None:
        return list(from_path(input_path, spec.input.glob or "*"))
    source = configured_source(spec, data_dir)
    return list(from_path(source, spec.input.glob or "*"))
