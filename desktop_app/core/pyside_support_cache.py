"""PySide6's own Python, kept compiled from one start of the window to the next.

At every start shiboken6 unpacks its support modules (``shibokensupport``: the signature
loader, ``mapping``, ``parser``, ``pyi_generator``… about 130 KB of source embedded in its
library), passes each to ``compile()``, and runs them: three of them build regular
expressions of some 6,000 characters each. Nothing keeps either result, as ``__pycache__``
does for a module read from a file: 18–22 ms for the code and 12–14 ms for the regular
expressions, a fifth of the window's start here (docs/performance.md, stop 37). While
PySide6 is imported, ``kept_compiled`` answers both from a file in Signoff's cache
folder, written on the first start and again whenever anything asked changes (PySide6
upgraded).

- Code: what ``compile()`` would give. An entry serves only a call with the same source,
  file name, mode, flags (with the caller's ``from __future__`` features, which
  ``compile`` inherits) and optimisation. A call it cannot keep (an AST asked for, other
  arguments) goes to ``compile`` as it came.
- A regular expression: the program ``re``'s compiler made for the same pattern and
  flags, given back to ``_sre.compile`` as ``re`` itself gives it (``_sre`` checks it).
  An interpreter whose ``re`` is built otherwise is left to compile its own.

Every entry is for the interpreter that wrote the file (its version is in it). A missing,
unreadable or damaged file, or entry, is compiled over; a file that cannot be written is
left as it is. No Qt is imported here; nothing happens in a process that has imported
PySide6 already.
"""

from __future__ import annotations

import builtins
import marshal
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import CodeType, ModuleType
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

CodeKey = tuple[str, str, int, int]  # file name, mode, flags, optimisation level
CodeEntry = tuple[str | bytes, CodeType]  # the source, its code
PatternKey = tuple[str | bytes, int]  # the pattern, the flags asked for
PatternEntry = tuple[int, list[int], int, dict[str, int]]  # flags, program, groups, names

_compile = builtins.compile
# The exceptions an entry that is not what ``_sre.compile`` takes can raise there.
_NOT_A_PROGRAM = (TypeError, ValueError, RuntimeError, OverflowError, IndexError, AttributeError)


def cache_file(cache_dir: Path) -> Path:
    """The cache's file for this interpreter (its bytecode is not another's)."""
    return cache_dir / f"pyside6-support.{sys.implementation.cache_tag}.marshal"


def regex_compiler() -> ModuleType | None:
    """``re``'s compiler (``re._compiler``; ``sre_compile`` before Python 3.11), if it is
    built as answered here: ``compile(pattern, flags)`` makes the program with ``_code``
    and hands it to ``_sre.compile``."""
    compiler = getattr(re, "_compiler", None) or getattr(re, "sre_compile", None)
    if compiler is None or not hasattr(compiler, "_sre"):
        return None
    if not all(callable(getattr(compiler, name, None)) for name in ("compile", "_code")):
        return None
    return compiler


def _serves(entry: object, source: str | bytes) -> bool:
    """Whether a kept entry is code compiled from ``source`` (an entry is checked as used)."""
    return (
        isinstance(entry, tuple)
        and len(entry) == 2
        and entry[0] == source
        and isinstance(entry[1], CodeType)
    )


def _pattern(sre: Any, pattern: str | bytes, entry: PatternEntry) -> re.Pattern[Any]:
    """The compiled expression from a kept program, made as ``re``'s compiler makes it."""
    flags, program, groups, names = entry
    index_names: list[str | None] = [None] * (groups + 1)
    for name, index in names.items():
        index_names[index] = name
    return sre.compile(pattern, flags, program, groups, names, tuple(index_names))


class _Kept:
    """The entries read from the file, and those this start asked for."""

    def __init__(self, path: Path, compiler: ModuleType | None) -> None:
        self.path = path
        self.compiler = compiler
        self.codes, self.patterns = self._read()
        self.used_codes: dict[CodeKey, CodeEntry] = {}
        self.used_patterns: dict[PatternKey, PatternEntry] = {}
        self.made = 0  # entries made anew
        if compiler is not None:
            self._compile_pattern: Callable[..., Any] = compiler.compile
            self._code: Callable[..., list[int]] = compiler._code

    def _read(self) -> tuple[dict[CodeKey, CodeEntry], dict[PatternKey, PatternEntry]]:
        try:
            version, codes, patterns = marshal.loads(self.path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return {}, {}  # none yet, unreadable, damaged, or not what is written here
        if version != sys.version or not isinstance(codes, dict):
            return {}, {}
        return codes, patterns if isinstance(patterns, dict) else {}

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
        key = (filename, mode, int(flags), sys.flags.optimize if optimize == -1 else optimize)
        found = self.codes.get(key)
        entry = found if found is not None and _serves(found, source) else None
        if entry is None:
            entry = (source, _compile(source, filename, mode, flags, True, optimize))
            self.made += 1
        self.used_codes[key] = entry
        return entry[1]

    def compile_pattern(self, pattern: Any, flags: Any = 0) -> Any:
        """In place of ``re``'s compiler's ``compile`` (``re.compile`` past its own cache)."""
        if not isinstance(pattern, (str, bytes)) or not isinstance(flags, int):
            return self._compile_pattern(pattern, flags)
        key = (pattern, int(flags))  # marshal keeps no int subclass (re.VERBOSE's kind)
        entry = self.patterns.get(key)
        if entry is not None:
            with suppress(*_NOT_A_PROGRAM):
                made = _pattern(self.compiler._sre, pattern, entry)  # type: ignore[union-attr]
                self.used_patterns[key] = entry
                return made
        programs: list[list[int]] = []

        def kept_program(parsed: Any, flags: int) -> list[int]:
            programs.append(self._code(parsed, flags))
            return programs[-1]

        self.compiler._code = kept_program  # type: ignore[union-attr]
        try:
            made = self._compile_pattern(pattern, flags)
        finally:
            self.compiler._code = self._code  # type: ignore[union-attr]
        if len(programs) == 1 and not flags & re.DEBUG:
            program = list(map(int, programs[0]))  # its opcodes are int's subclasses
            self.used_patterns[key] = (made.flags, program, made.groups, dict(made.groupindex))
            self.made += 1
        return made

    def save(self) -> None:
        """Write this start's entries (those no longer asked for are dropped), if any was
        made anew."""
        if not self.made:
            return
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        kept = (sys.version, self.used_codes, self.used_patterns)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(marshal.dumps(kept))
            os.replace(temporary, self.path)
        except (OSError, ValueError):  # a read-only or full folder: compiled again next time
            with suppress(OSError):
                temporary.unlink()


@contextmanager
def kept_compiled(path: Path) -> Iterator[None]:
    """Around PySide6's first import: its support modules' code and regular expressions
    from ``path``, when kept there."""
    if "shiboken6" in sys.modules or isinstance(getattr(builtins.compile, "__self__", None), _Kept):
        yield  # imported already (or a cache in place already): nothing to answer
        return
    compiler = regex_compiler()
    kept = _Kept(path, compiler)
    previous = builtins.compile
    builtins.compile = kept.compile
    if compiler is not None:
        compiler.compile = kept.compile_pattern  # type: ignore[attr-defined]
    try:
        yield
    finally:
        builtins.compile = previous
        if compiler is not None:
            compiler.compile = kept._compile_pattern  # type: ignore[attr-defined]
    kept.save()
