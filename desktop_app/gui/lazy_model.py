"""A table model over a large table: keys paged in as the view scrolls, rows loaded in chunks.

Anki's browser keeps a list of ids and a row cache; qutebrowser's history
completion pages with ``canFetchMore``/``fetchMore``. Subclasses say how to
page keys (keyset: "older than the last one seen") and how to load rows. The first page
can be read on another thread (``first_page``) and shown when it arrives (``show``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Signal,
)

from desktop_app.gui.qt_values import DISPLAY_ROLE
from desktop_app.gui.tasks import Database, LatestRead

if TYPE_CHECKING:
    from desktop_app.storage.db import DatabaseLike

PAGE = 100  # rows read at a time: four screens of the list
CHUNK = 100
CACHE_LIMIT = 20 * CHUNK

Index = QModelIndex | QPersistentModelIndex


class Page(NamedTuple):
    """A first page of keys for ``query`` and where paging goes on from."""

    query: Any
    keys: list[int]
    after: Any
    exhausted: bool


class LazyTableModel(QAbstractTableModel):
    # The column titles; the view's header shows them (widgets.list_table's ``titles``).
    COLUMNS: tuple[str, ...] = ()
    # The roles ``_cell`` answers. Painting asks every cell for about seven roles; the
    # others are answered at once, without finding the row.
    ROLES: frozenset[int] = frozenset({DISPLAY_ROLE})

    def __init__(self, db: DatabaseLike, query: Any, parent: QObject | None = None):
        super().__init__(parent)
        self._db = db
        self._query = query  # what the rows shown are (a filter value the pager understands)
        self._keys: list[int] = []
        self._rows: dict[int, Any] = {}
        self._exhausted = False
        self._after: Any = None  # where the next page starts
        self._load_first_page()

    # --- for subclasses ---

    @staticmethod
    def page_of(db: DatabaseLike, query: Any, after: Any, limit: int) -> tuple[list[int], Any]:
        """Up to ``limit`` keys of ``query`` after the place ``after`` (None: from the
        first), and the place to go on from. Fewer than ``limit`` keys: the end. Reads only
        ``db``, so it runs on any thread (a search runs off the UI thread)."""
        raise NotImplementedError

    def _fetch_rows(self, keys: list[int]) -> dict[int, Any]:
        raise NotImplementedError

    def _cell(self, row: Any, column: int, role: int) -> Any:
        raise NotImplementedError

    # --- paging ---

    @property
    def query(self) -> Any:
        return self._query

    def set_query(self, query: Any) -> None:
        """Show ``query``'s first page, read here (see ``first_page`` for another thread)."""
        self.show(self.first_page(self._db, query))

    @classmethod
    def first_page(cls, db: DatabaseLike, query: Any) -> Page:
        """The first page of ``query``, to be shown by ``show`` (a reader thread's work)."""
        keys, after = cls.page_of(db, query, None, PAGE)
        return Page(query, keys, after, len(keys) < PAGE)

    def refresh(self) -> None:
        """Reload from the first page (after the data changed)."""
        self.set_query(self._query)

    def show(self, page: Page) -> None:
        """Show a first page (read here or on another thread): the rows are replaced."""
        self.beginResetModel()
        self._take_page(page)
        self.endResetModel()

    def _load_first_page(self) -> None:
        self._take_page(self.first_page(self._db, self._query))

    def _take_page(self, page: Page) -> None:
        self._rows = {}
        self._query, self._keys = page.query, list(page.keys)
        self._after, self._exhausted = page.after, page.exhausted

    def _take(self, limit: int) -> list[int]:
        keys, self._after = self.page_of(self._db, self._query, self._after, limit)
        if len(keys) < limit:
            self._exhausted = True
        return keys

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._keys)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._exhausted:
            return
        more = self._take(PAGE)
        if not more:
            return
        start = len(self._keys)
        self.beginInsertRows(QModelIndex(), start, start + len(more) - 1)
        self._keys.extend(more)
        self.endInsertRows()

    def data(self, index: Index, role: int = DISPLAY_ROLE) -> Any:
        if role not in self.ROLES:
            return None
        if not index.isValid() or not (0 <= index.row() < len(self._keys)):
            return None
        row = self.row_data(index.row())
        return None if row is None else self._cell(row, index.column(), role)

    def row_data(self, row: int) -> Any:
        key = self._keys[row]
        if key not in self._rows:
            start = (row // CHUNK) * CHUNK
            if len(self._rows) > CACHE_LIMIT:
                self._rows.clear()
            self._rows.update(self._fetch_rows(self._keys[start : start + CHUNK]))
        return self._rows.get(key)

    def key(self, row: int) -> int | None:
        return self._keys[row] if 0 <= row < len(self._keys) else None

    def row_of(self, key: int) -> int | None:
        try:
            return self._keys.index(key)
        except ValueError:
            return None


class QueryLoader(QObject):
    """Puts a view's query into its lazy model: a query without search text at once (an
    indexed read), one with search text on a reader thread (``tasks.LatestRead``), where
    the newest query wins and typing never waits. ``shown`` fires once a page is in the
    model; ``ready()`` False holds a search's page back (the view is busy: its next
    query shows it)."""

    shown = Signal()
    failed = Signal(str)  # one line: the search did not work

    def __init__(
        self,
        model: LazyTableModel,
        db_path: Database,
        parent: QObject | None = None,
        *,
        ready: Callable[[], bool] = lambda: True,
    ):
        super().__init__(parent)
        self.model = model
        self._ready = ready
        self._wanted: Any = None  # the search under way
        self._reader = LatestRead(db_path, self)
        self._reader.done.connect(self._found)
        self._reader.failed.connect(self._failed)

    @property
    def searching(self) -> bool:
        """A search was asked for and its results are not shown yet."""
        return self._wanted is not None

    def apply(self, query: Any, *, searched: bool) -> None:
        if not searched:
            self._reader.forget()
            self._wanted = None
            self.model.set_query(query)
            self.shown.emit()
            return
        self._wanted = query
        self._reader.request(type(self.model).first_page, query)

    def _found(self, page: Page) -> None:
        if page.query != self._wanted or not self._ready():
            return  # typed on since, or the view is busy
        self._wanted = None
        self.model.show(page)
        self.shown.emit()

    def _failed(self, message: str) -> None:
        self._wanted = None
        self.failed.emit(f"The search did not work: {message}")
