"""PySide6's own Python, kept compiled from one start of the window to the next.

At every start shiboken6 unpacks its support modules (``shibokensupport``: the signature
loader, ``mapping``, ``parser``, ``pyi_generator``… about 130 KB of source embedded in
its library) and passes each to ``compile()``. Nothing keeps the result, as ``__pycache__``
does for a module read from a file: that was 18–22 ms of every start of the window here,
an eighth of it (docs/performance.md, stop 37). While PySide6 is imported,
``kept_compiled`` answers those calls from a file in Signoff's cache folder, written on
the first start and again whenever the source changes (PySide6 upgraded).

The answer is the code ``compile()`` would give: an entry serves only a call with the same
source, file name, mode, flags (with the caller's ``from __future__`` features, which
``compile`` inherits) and optimisation, under the same interpreter. A call it cannot keep
(an AST asked for, other arguments) goes to ``compile`` as it came. A missing, unreadable
or damaged file is compiled over; one that cannot be written is left as it is.

No Qt is imported here; nothing happens in a process that has imported PySide6 already.
"""

from __future__ import annotations

import builtins
import marshal
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import CodeType
from typing import Any

# The flags ``compile`` takes from its caller's code (CPython's PyCF_MASK): the features
# of ``from __future__ import ...`` that change what is compiled.
FUTURE_FLAGS = (
    0x20000  # division
    | 0x40000  # absolute_import
    | 0x80000  # with_statement
    | 0x100000  # print_function
    | 0x200000  # unicode_literals
    | 0x400000  # barry_as_FLUFL
    | 0x800000  # generator_stop
    | 0x1000000  # annotations
)

Key = tuple[str, str, int, int]  # file name, mode, flags, optimisation level

_compile = builtins.compile


def cache_file(cache_dir: Path) -> Path:
    """The cache's file for this interpreter (its bytecode is not another's)."""
    return cache_dir / f"pyside6-support.{sys.implementation.cache_tag}.marshal"


class _Kept:
    """The entries read from the file, and those this start's calls asked for."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stored = self._read()
        self.used: dict[Key, tuple[str | bytes, CodeType]] = {}
        self.compiled = 0  # calls that found no entry

    def _read(self) -> dict[Key, tuple[str | bytes, CodeType]]:
        try:
            version, entries = marshal.loads(self.path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return {}  # none yet, unreadable, damaged, or not a pair
        if version != sys.version or not isinstance(entries, dict):
            return {}
        return entries

    def compile(  # builtins.compile's own signature
        self,
        source: Any,
        filename: Any,
        mode: str,
        flags: int = 0,
        dont_inherit: bool = False,
        optimize: int = -1,
        **rest: Any,
    ) -> Any:
        if not dont_inherit:  # as compile() does: the calling code's __future__ features
            flags |= sys._getframe(1).f_code.co_flags & FUTURE_FLAGS
        keepable = (
            not rest
            and not flags & ~FUTURE_FLAGS  # code asked for, not an AST or another form
            and isinstance(source, (str, bytes))
            and isinstance(filename, str)
            and isinstance(mode, str)
        )
        if not keepable:
            return _compile(source, filename, mode, flags, True, optimize, **rest)
        key = (filename, mode, flags, sys.flags.optimize if optimize == -1 else optimize)
        entry = self.stored.get(key)
        if entry is None or entry[0] != source:
            entry = (source, _compile(source, filename, mode, flags, True, optimize))
            self.compiled += 1
        self.used[key] = entry
        return entry[1]

    def save(self) -> None:
        """Write this start's entries (those no longer asked for are dropped), if any was
        compiled anew."""
        if not self.compiled:
            return
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(marshal.dumps((sys.version, self.used)))
            os.replace(temporary, self.path)
        except OSError:  # a read-only or full cache folder: compiled again next time
            with suppress(OSError):
                temporary.unlink()


@contextmanager
def kept_compiled(path: Path) -> Iterator[None]:
    """Around PySide6's first import: its support modules' code from ``path``, if kept."""
    if "shiboken6" in sys.modules or isinstance(getattr(builtins.compile, "__self__", None), _Kept):
        yield  # imported already (or a cache in place already): nothing to answer
        return
    kept = _Kept(path)
    previous = builtins.compile
    builtins.compile = kept.compile
    try:
        yield
    finally:
        builtins.compile = previous
    kept.save()
