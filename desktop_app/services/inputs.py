"""Read a workflow's inputs: one text, a text file, an ``.eml``, a CSV file's rows, or a folder.

What a file is read as depends on its extension, not on the workflow's input
kind, so ``signoff run NAME --input PATH`` works for every kind.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
from collections.abc import Iterator
from pathlib import Path

from desktop_app.core.errors import KnownError
from desktop_app.core.inputdoc import InputDoc, content_hash
from desktop_app.core.spec_model import Spec

TEXT_SUFFIXES = {".txt", ".md", ".text", ".markdown", ""}


class InputError(KnownError):
    """An input that cannot be read at all (missing, unreadable, not text)."""


def read_text_file(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"input not found: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if b"\x00" in raw[:4096]:
        raise InputError(f"{path} is not a text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def from_text(text: str, name: str = "") -> InputDoc:
    """Text given on the command line or pasted into the window."""
    first_line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    label = name or (first_line[:40] + ("…" if len(first_line) > 40 else "")) or "text"
    return InputDoc(key=f"text:{content_hash(text)}", name=label, text=text)


def from_eml(path: Path) -> InputDoc:
    """An e-mail as ``From/To/Subject/Date`` lines and its plain-text body."""
    raw = path.read_bytes() if path.exists() else None
    if raw is None:
        raise InputError(f"input not found: {path}")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    body_part = msg.get_body(preferencelist=("plain", "html"))
    body = ""
    if body_part is not None:
        try:
            body = body_part.get_content()
        except (LookupError, UnicodeDecodeError):
            # A text part's payload decodes to bytes (None when it has none).
            payload = body_part.get_payload(decode=True)
            if isinstance(payload, bytes):
                body = payload.decode("utf-8", errors="replace")
    fields = {
        "from": str(msg.get("From", "")),
        "to": str(msg.get("To", "")),
        "subject": str(msg.get("Subject", "")),
        "date": str(msg.get("Date", "")),
        "body": body.strip(),
    }
    header = "\n".join(f"{k.capitalize()}: {v}" for k, v in fields.items() if k != "body" and v)
    text = f"{header}\n\n{fields['body']}".strip()
    return InputDoc(key=str(path.resolve()), name=path.stem, text=text, fields=fields)


def row_text(fields: dict[str, str]) -> str:
    """A CSV row as ``header: value`` lines, the form ``input.text`` and patterns see."""
    return "\n".join(f"{k}: {v}" for k, v in fields.items())


def from_csv(path: Path) -> Iterator[InputDoc]:
    """One input per data row; header names become ``input.fields``."""
    text = read_text_file(path)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not reader.fieldnames:
        raise InputError(f"{path} has no header row")
    headers = [h.strip() for h in reader.fieldnames]
    resolved = path.resolve()
    for number, row in enumerate(reader, start=1):
        values = list(row.values())
        if not any((v or "").strip() for v in values if isinstance(v, str)):
            continue  # blank line
        fields = {h: (row.get(orig) or "").strip() for h, orig in zip(headers, reader.fieldnames)}
        yield InputDoc(
            key=f"{resolved}#row{number}",
            name=f"{path.stem} row {number}",
            text=row_text(fields),
            fields=fields,
        )


def from_path(path: Path, glob: str = "*") -> Iterator[InputDoc]:
    """Inputs from one file (by extension) or every matching file in a folder, sorted by name."""
    if path.is_dir():
        files = sorted(p for p in path.glob(glob) if p.is_file() and not p.name.startswith("."))
        for file in files:
            yield from from_path(file)
        return
    if not path.exists():
        raise InputError(f"input not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from from_csv(path)
    elif suffix == ".eml":
        yield from_eml(path)
    else:
        yield InputDoc(key=str(path.resolve()), name=path.stem, text=read_text_file(path))


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
