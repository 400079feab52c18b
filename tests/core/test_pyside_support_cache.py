"""PySide6's support modules kept compiled between starts: the same code as compile()'s,
compiled anew whenever anything about the call differs, and never in the way."""

from __future__ import annotations

import ast
import builtins
import marshal
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import CodeType

import pytest

from desktop_app.core import pyside_support_cache
from desktop_app.core.pyside_support_cache import cache_file, kept_compiled

REAL_COMPILE = builtins.compile  # before any test replaces it
SOURCE = b"import sys\ndef f(x: int) -> int:\n    return x + 1\nVALUE = f(41)\n"


@pytest.fixture
def first_import(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """As before PySide6's first import (this test process has imported it); every call
    that reaches the real compile() is listed."""
    monkeypatch.delitem(sys.modules, "shiboken6", raising=False)
    calls: list[tuple[object, ...]] = []
    real = pyside_support_cache._compile

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(args)
        return real(*args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(pyside_support_cache, "_compile", counted)
    return calls


def same_code(a: CodeType, b: CodeType) -> bool:
    return marshal.dumps(a) == marshal.dumps(b)


def test_the_second_start_compiles_nothing_and_gets_the_same_code(
    tmp_path: Path, first_import: list[tuple[object, ...]]
) -> None:
    path = cache_file(tmp_path / "cache")
    with kept_compiled(path):
        first = compile(SOURCE, "shibokensupport/x.py", "exec")
    assert len(first_import) == 1 and path.exists()
    with kept_compiled(path):
        second = compile(SOURCE, "shibokensupport/x.py", "exec")
    assert len(first_import) == 1  # answered from the file
    assert same_code(first, second)
    assert same_code(second, REAL_COMPILE(SOURCE, "shibokensupport/x.py", "exec"))
    namespace: dict[str, object] = {}
    exec(second, namespace)
    assert namespace["VALUE"] == 42
    assert builtins.compile is REAL_COMPILE  # put back


@pytest.mark.parametrize(
    "changed",
    [
        {"source": SOURCE + b"OTHER = 1\n"},  # PySide6 upgraded
        {"filename": "shibokensupport/y.py"},
        {"mode": "single", "source": b"x = 1\n"},
        {"optimize": 2},
    ],
)
def test_anything_different_is_compiled_anew(
    tmp_path: Path, first_import: list[tuple[object, ...]], changed: dict[str, object]
) -> None:
    path = cache_file(tmp_path)
    base: dict[str, object] = {"source": SOURCE, "filename": "shibokensupport/x.py"}
    base |= {"mode": "exec", "optimize": -1}
    with kept_compiled(path):
        compile(**base)  # type: ignore[call-overload]
    call = base | changed
    with kept_compiled(path):
        got = compile(**call)  # type: ignore[call-overload]
    assert len(first_import) == 2
    assert same_code(got, REAL_COMPILE(**call))  # type: ignore[call-overload]
    with kept_compiled(path):  # the file now holds this start's entry alone
        compile(**call)  # type: ignore[call-overload]
        compile(**base)  # type: ignore[call-overload]
    assert len(first_import) == 3


def test_the_inherited_flags_are_the_future_features_that_change_compiling() -> None:
    import __future__

    always_on = {"nested_scopes", "generators"}  # their flags change nothing any more
    flags = 0
    for name in set(__future__.all_feature_names) - always_on:
        flags |= getattr(__future__, name).compiler_flag
    assert flags == pyside_support_cache.FUTURE_FLAGS


CALLER = """
{future}
def compile_it(source):
    return compile(source, "shibokensupport/z.py", "exec")
"""
ANNOTATED = b"def g(x: Undefined) -> None: pass\ng(1)\n"


@pytest.mark.parametrize("future", ["from __future__ import annotations", ""])
def test_the_callers_future_features_are_inherited_as_compile_does(
    tmp_path: Path, first_import: list[tuple[object, ...]], future: str
) -> None:
    """shiboken's loader is compiled under ``from __future__ import annotations``, and so
    are the modules it compiles: with the annotations left unevaluated."""
    caller: dict[str, object] = {}
    exec(REAL_COMPILE(CALLER.format(future=future), "caller.py", "exec", 0, True), caller)
    compile_it = caller["compile_it"]
    expected = compile_it(ANNOTATED)  # type: ignore[operator]
    path = cache_file(tmp_path)
    for _ in range(2):
        with kept_compiled(path):
            got = compile_it(ANNOTATED)  # type: ignore[operator]
        assert same_code(got, expected)
    with kept_compiled(path):  # and the other way round is a different entry
        plain = compile(ANNOTATED, "shibokensupport/z.py", "exec", dont_inherit=True)
    assert same_code(plain, REAL_COMPILE(ANNOTATED, "shibokensupport/z.py", "exec", 0, True))
    if future:
        exec(got, {})  # `Undefined` is never looked up
        assert not same_code(plain, got)
    else:
        with pytest.raises(NameError):
            exec(got, {})


def test_an_ast_or_other_forms_go_to_compile_as_they_came(
    tmp_path: Path, first_import: list[tuple[object, ...]]
) -> None:
    path = cache_file(tmp_path)
    with kept_compiled(path):
        tree = compile(SOURCE, "x.py", "exec", ast.PyCF_ONLY_AST)
        code = compile(tree, "x.py", "exec")
    assert isinstance(tree, ast.Module) and isinstance(code, CodeType)
    assert not path.exists()  # nothing kept: neither call could be


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00garbage", marshal.dumps(("2.7.18", {}, {})), marshal.dumps([1, 2])],
    ids=["empty", "damaged", "another interpreter", "not what is written"],
)
def test_a_damaged_or_foreign_file_is_compiled_over(
    tmp_path: Path, first_import: list[tuple[object, ...]], content: bytes
) -> None:
    path = cache_file(tmp_path)
    path.write_bytes(content)
    with kept_compiled(path):
        code = compile(SOURCE, "shibokensupport/x.py", "exec")
    assert same_code(code, REAL_COMPILE(SOURCE, "shibokensupport/x.py", "exec"))
    version, codes, _ = marshal.loads(path.read_bytes())
    assert version == sys.version and len(codes) == 1


def test_a_cache_folder_that_cannot_be_written_is_left(
    tmp_path: Path, first_import: list[tuple[object, ...]]
) -> None:
    (tmp_path / "cache").write_text("a file where the folder would be")
    with kept_compiled(cache_file(tmp_path / "cache")):
        code = compile(SOURCE, "shibokensupport/x.py", "exec")
    assert isinstance(code, CodeType)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]  # no temporary file left


def test_an_error_in_the_block_puts_compile_back_and_writes_nothing(
    tmp_path: Path, first_import: list[tuple[object, ...]]
) -> None:
    path = cache_file(tmp_path)
    with pytest.raises(RuntimeError), kept_compiled(path):
        compile(SOURCE, "shibokensupport/x.py", "exec")
        raise RuntimeError("the import failed")
    assert builtins.compile is REAL_COMPILE
    assert not path.exists()


def test_nothing_is_answered_once_pyside6_is_imported(tmp_path: Path) -> None:
    import PySide6.QtCore  # noqa: F401 (as the window's process has, once started)

    with kept_compiled(cache_file(tmp_path)):
        assert builtins.compile is REAL_COMPILE


@pytest.fixture
def patterns_made(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every regular expression that reaches ``re``'s own compiler (past ``re``'s cache,
    emptied here) is listed."""
    compiler = pyside_support_cache.regex_compiler()
    assert compiler is not None, "this interpreter's re is built otherwise: see regex_compiler"
    made: list[object] = []
    real = compiler.compile

    def counted(pattern: object, flags: int = 0) -> object:
        made.append(pattern)
        return real(pattern, flags)

    monkeypatch.setattr(compiler, "compile", counted)
    re.purge()
    return made


# shiboken's kind: a tower of brackets, written verbosely, with a lookahead
TOWER = r"""
    \b (typing\.Optional | typing\.Union) \s* (?= \[ )
    (?P<inner> \[ (?: [^\[\]] | \[ (?: [^\[\]] | \[ [^\[\]]* \] )* \] )* \] )
"""


@pytest.mark.parametrize(
    ("pattern", "flags", "text"),
    [
        (TOWER, re.VERBOSE, "x: typing.Optional[dict[str, list[int]]] = None"),
        (r"(?P<word>\w+)-(\d+)|(?i:ABC)", 0, "signoff-25 abc"),
        (rb"^(\x00+)(?P<rest>.*)$", re.DOTALL, b"\x00\x00tail\nmore"),
    ],
)
def test_a_kept_regular_expression_is_the_one_re_makes(
    tmp_path: Path,
    first_import: list[tuple[object, ...]],
    patterns_made: list[object],
    pattern: str | bytes,
    flags: int,
    text: str | bytes,
) -> None:
    path = cache_file(tmp_path)
    with kept_compiled(path):
        first = re.compile(pattern, flags)
    re.purge()
    with kept_compiled(path):
        second = re.compile(pattern, flags)
    assert patterns_made == [pattern]  # the second from the file
    re.purge()
    fresh = re.compile(pattern, flags)
    assert second == fresh == first  # flags, pattern and the compiled program
    assert (second.groups, second.groupindex) == (fresh.groups, fresh.groupindex)
    found, expected = second.search(text), fresh.search(text)  # type: ignore[arg-type]
    assert found is not None and expected is not None
    assert found.groups() == expected.groups() and found.span() == expected.span()


def test_a_damaged_program_is_compiled_over(
    tmp_path: Path, first_import: list[tuple[object, ...]], patterns_made: list[object]
) -> None:
    path = cache_file(tmp_path)
    with kept_compiled(path):
        re.compile(TOWER, re.VERBOSE)
    version, codes, patterns = marshal.loads(path.read_bytes())
    flags, program, groups, names = patterns[TOWER, re.VERBOSE]
    patterns[TOWER, re.VERBOSE] = (flags, program[: len(program) // 2], groups, names)
    path.write_bytes(marshal.dumps((version, codes, patterns)))
    re.purge()
    with kept_compiled(path):
        again = re.compile(TOWER, re.VERBOSE)
    assert patterns_made == [TOWER, TOWER]
    re.purge()
    assert again == re.compile(TOWER, re.VERBOSE)
    assert marshal.loads(path.read_bytes())[2][TOWER, re.VERBOSE][1] == program  # mended


def test_what_the_file_cannot_hold_is_left_out_not_fatal(
    tmp_path: Path, first_import: list[tuple[object, ...]], patterns_made: list[object]
) -> None:
    """``re``'s compiler called past ``re.compile`` with a flag's own type (an int subclass,
    which marshal refuses), and an entry of the wrong shape in the file: the start goes on."""
    path = cache_file(tmp_path)
    compiler = pyside_support_cache.regex_compiler()
    with kept_compiled(path):
        made = compiler.compile(TOWER, re.VERBOSE)  # type: ignore[union-attr]
        compile(SOURCE, "shibokensupport/x.py", "exec")
    assert made.flags & re.VERBOSE
    version, codes, patterns = marshal.loads(path.read_bytes())
    assert list(patterns) == [(TOWER, int(re.VERBOSE))]
    path.write_bytes(marshal.dumps((version, dict.fromkeys(codes, "not code"), patterns)))
    with kept_compiled(path):
        code = compile(SOURCE, "shibokensupport/x.py", "exec")
    assert same_code(code, REAL_COMPILE(SOURCE, "shibokensupport/x.py", "exec"))
    assert len(first_import) == 2  # compiled over


FRESH_PROCESS = """
import re, sys
from pathlib import Path
import desktop_app.core.pyside_support_cache as cache
compiled, patterns = [], []
real, real_pattern = compile, re._compiler.compile
def counted(source, filename, *args, **kwargs):
    compiled.append(filename)
    return real(source, filename, *args, **kwargs)
def counted_pattern(pattern, flags=0):
    patterns.append(pattern)
    return real_pattern(pattern, flags)
cache._compile, re._compiler.compile = counted, counted_pattern
with cache.kept_compiled(Path(sys.argv[1])):
    from PySide6.QtCore import QSize
print(len([name for name in compiled if name.startswith("shibokensupport")]))
print(len([pattern for pattern in patterns if len(pattern) > 5000]))
try:
    QSize("wide")
except TypeError as wrong:  # said by shiboken's signature modules
    print(str(wrong).splitlines()[-1])
"""


def test_pyside6s_own_code_and_expressions_are_compiled_on_the_first_start_only(
    tmp_path: Path,
) -> None:
    path = cache_file(tmp_path / "cache")
    runs = [
        subprocess.run(
            [sys.executable, "-c", textwrap.dedent(FRESH_PROCESS), str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        for _ in range(2)
    ]
    first, second = runs
    assert int(first[0]) >= 10  # shibokensupport's loader, mapping, parser…
    assert int(first[1]) >= 3  # its towers of brackets
    assert second[:2] == ["0", "0"]
    assert first[2] == second[2] == "  PySide6.QtCore.QSize.__init__(w: int, h: int, /)"
