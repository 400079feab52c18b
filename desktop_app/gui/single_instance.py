"""One Signoff per data folder: a second start asks the first to come forward and exits.

The first start takes a lock file in the data folder (QLockFile: a lock whose process is
gone, as after a crash, is taken over). Once its window is shown it also listens on a
QLocalServer named after the user and the folder; a second start finds the lock taken,
connects, says "show" and leaves. Listening waits until after the first paint because
loading QtNetwork is a tenth of the window's start.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLockFile, QObject, Signal

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalServer  # loaded by ``listen``, after the first paint

LOCK_NAME = "signoff.lock"
CONNECT_MS = 3000  # the first start may not listen yet (it does so just after its first paint)


def server_name(data_dir: Path) -> str:
    import getpass
    import hashlib  # loads OpenSSL: not on the start path (the name is needed after it)

    folder = str(Path(data_dir).expanduser().resolve())
    digest = hashlib.sha256(f"{getpass.getuser()}\0{folder}".encode()).hexdigest()[:16]
    return f"signoff-{digest}"


class SingleInstance(QObject):
    activated = Signal()  # another start asked this one to come forward

    def __init__(self, data_dir: Path, parent: QObject | None = None):
        super().__init__(parent)
        self._data_dir = Path(data_dir)
        self._lock = QLockFile(str(self._data_dir / LOCK_NAME))
        self._lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
        self.server: QLocalServer | None = None
        self.answered = False  # after a refused claim: did the running one hear us?

    @cached_property
    def name(self) -> str:  # worked out when first needed: after the start, or by a second start
        return server_name(self._data_dir)

    def claim(self) -> bool:
        """True: this is the only instance. False: another one holds the data folder; it was
        asked to come forward (``answered`` says whether it heard)."""
        if self._lock.tryLock(0):
            return True
        if self._lock.error() != QLockFile.LockError.LockFailedError:
            return True  # cannot guard (odd file system): run anyway rather than refuse
        self.answered = self._ask_to_show()
        return False

    def holder_pid(self) -> int | None:
        info = self._lock.getLockInfo()  # (pid, host, app), pid 0 when unreadable
        pid = info[0] if isinstance(info, tuple) and info else 0
        return pid or None

    def _ask_to_show(self) -> bool:
        from PySide6.QtCore import QDeadlineTimer, QThread
        from PySide6.QtNetwork import QLocalSocket

        deadline = QDeadlineTimer(CONNECT_MS)
        while not deadline.hasExpired():
            probe = QLocalSocket(self)
            probe.connectToServer(self.name)
            try:
                if probe.waitForConnected(200):
                    probe.write(b"show\n")
                    written = probe.waitForBytesWritten(500)
                    probe.disconnectFromServer()
                    return written
            finally:
                probe.abort()
                probe.setParent(None)
            QThread.msleep(100)
        return False

    def listen(self) -> None:
        """Answer later starts (called once the window is shown)."""
        if self.server is not None or not self._lock.isLocked():
            return
        from PySide6.QtNetwork import QLocalServer

        QLocalServer.removeServer(self.name)  # a stale socket from a crash: the lock is ours
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if server.listen(self.name):
            server.newConnection.connect(self._on_connection)
            self.server = server

    def _on_connection(self) -> None:
        while self.server is not None and self.server.hasPendingConnections():
            conn = self.server.nextPendingConnection()
            conn.readyRead.connect(self._read)

    def _read(self) -> None:
        from PySide6.QtNetwork import QLocalSocket

        conn = self.sender()
        if isinstance(conn, QLocalSocket) and conn.readAll().startsWith(b"show"):
            self.activated.emit()

    def release(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        if self._lock.isLocked():
            self._lock.unlock()
