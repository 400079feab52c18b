"""Signoff's runtime hook for PySide6, in place of PyInstaller's own (packaging/build.py).

PyInstaller's hook imports PySide6.QtCore at every start to register an embedded
qt.conf. On Linux Qt finds its own folders from where libQt6Core is, so that import only
made every command about 50 ms slower, and made every module imported after it slower
too (PySide6's import hook reads each one's source). Here Linux gets the plugin path
alone; Windows and macOS, where Qt needs the qt.conf, still get it.
"""


def _signoff_pyside6_rthook():
    import os
    import sys

    if sys.platform.startswith("win"):
        qt = os.path.join(sys._MEIPASS, "PySide6")
    else:
        qt = os.path.join(sys._MEIPASS, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt, "plugins")
    if sys.platform.startswith("linux"):
        return
    if sys.platform.startswith("win"):  # Qt's DLLs beside the bundle's own
        os.environ["PATH"] = sys._MEIPASS + os.pathsep + os.environ.get("PATH", "")
    from _pyi_rth_utils import qt as qt_rth_utils

    qt_rth_utils.create_embedded_qt_conf("PySide6", qt)


_signoff_pyside6_rthook()
del _signoff_pyside6_rthook
