"""One Signoff per data folder: a second start asks the first to come forward and exits.

A QLocalServer named after the user and the data folder; the second start connects, says
"show" and leaves. A socket left behind by a crash is removed when nobody answers on it.
"""

from __future__ import annotations

import getpass
import hashlib
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

WAIT_MS = 500


def server_name(data_dir: Path) -> str:
    folder = str(Path(data_dir).expanduser().resolve())
    digest = hashlib.sha256(f"{getpass.getuser()}\0{folder}".encode()).hexdigest()[:16]
    return f"signoff-{digest}"


class SingleInstance(QObject):
    activated = Signal()  # another start asked this one to come forward

    def __init__(self, name: str, parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self.server: QLocalServer | None = None

    def claim(self) -> bool:
        """True: this is the only instance (and now listens). False: another one runs and
        was asked to come forward."""
        probe = QLocalSocket(self)
        probe.connectToServer(self.name)
        try:
            if probe.waitForConnected(WAIT_MS):
                probe.write(b"show\n")
                probe.waitForBytesWritten(WAIT_MS)
                probe.disconnectFromServer()
                return False
        finally:
            probe.abort()
            probe.setParent(None)
        QLocalServer.removeServer(self.name)  # a stale socket from a crash
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            return True  # cannot guard (odd file system): run anyway rather than refuse
        server.newConnection.connect(self._on_connection)
        self.server = server
        return True

    def _on_connection(self) -> None:
        while self.server is not None and self.server.hasPendingConnections():
            conn = self.server.nextPendingConnection()
            conn.readyRead.connect(self._read)

    def _read(self) -> None:
        conn = self.sender()
        if isinstance(conn, QLocalSocket) and bytes(conn.readAll()).startswith(b"show"):
            self.activated.emit()

    def release(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
