"""The main window: Inbox, Workflows, Activity and Settings tabs, a status bar with counts and spend.

Only the inbox is built at start; the other tabs (and their modules) are built
the first time they are shown, so the window is on screen sooner. Window
geometry and the last tab are restored on the next start (QSettings).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.money import usd
from desktop_app.core.paths import Paths
from desktop_app.gui.inbox_view import InboxView
from desktop_app.gui.tasks import DbWorker, Job, close_all
from desktop_app.gui.widgets import named
from desktop_app.storage import item_pages, item_rows, model_calls, run_rows

if TYPE_CHECKING:
    from collections.abc import Callable

    import sqlite_utils
    from PySide6.QtGui import QCloseEvent  # QEvent's enums are 1.4 ms; not needed at start

    from desktop_app.core.database_url import TeamRef
    from desktop_app.core.spec_model import Spec

    # For types only: the other tabs' modules are imported when each tab is first shown.
    from desktop_app.gui.activity_view import ActivityView
    from desktop_app.gui.compare_dialog import CompareDialog
    from desktop_app.gui.live_updates import LiveUpdates
    from desktop_app.gui.settings_view import SettingsView
    from desktop_app.gui.tasks import Report
    from desktop_app.gui.workflows_view import WorkflowsView
    from desktop_app.llm.process_gateway import ProcessGateway
    from desktop_app.services.actions import ActionResult
    from desktop_app.services.review_timeouts import Swept
    from desktop_app.services.scheduler import Fired
    from desktop_app.storage.db import DatabaseLike
    from desktop_app.storage.item_rows import Item

TABS = (
    ("inbox", "Inbox"),
    ("workflows", "Workflows"),
    ("activity", "Activity"),
    ("settings", "Settings"),
)


def _status_figures(
    db: DatabaseLike, _report: Report, data_dir: Path
) -> tuple[int, int, float, float | None]:
    """Off the UI thread: pending and escalated counts, this month's spend and the cap."""
    from desktop_app.gui import current_settings

    pending = item_pages.count_items(db, statuses=("pending",))
    escalated = item_pages.count_items(db, statuses=("escalated",))
    cap = current_settings.or_defaults(data_dir).monthly_budget_usd
    return pending, escalated, model_calls.month_cost(db), cap


def _database_health(db: DatabaseLike, db_path: Path) -> str | None:
    """Why nothing can be written, if so: the database is damaged (SQLite's quick check, run
    here when the window's start put it off; the worker's connection becomes read-only) or
    its folder is read-only."""
    from desktop_app.storage import health

    damaged = health.check(db.conn, db_path) if health.checks_deferred() else None
    return damaged or health.read_only_reason(db_path)


def _stored_geometry(value: object) -> bool:
    """Whether ``value`` (the settings' ``window/geometry``) is a ``QByteArray`` with
    something in it. None on a first start: ``QByteArray`` is then not named, as making its
    class would cost the start."""
    if value is None:
        return False
    from PySide6.QtCore import QByteArray

    return isinstance(value, QByteArray) and not value.isEmpty()


def _retry_action(
    db: sqlite_utils.Database,
    _report: Report,
    item_id: int,
    workflows_dir: Path,
    data_dir: Path,
    clipboard: Callable[[str], None],
) -> ActionResult:
    """Off the UI thread (a webhook may take seconds): an approved item's action again."""
    from desktop_app.services import actions, catalogue

    item = item_rows.get_item(db, item_id)
    spec = catalogue.find(workflows_dir, item["workflow"])
    return actions.retry(db, item_id, spec, data_dir, clipboard=clipboard)


def _keep_example(db: sqlite_utils.Database, item_id: int, workflows_dir: Path) -> Path:
    from desktop_app.services.examples import add_example

    return add_example(db, workflows_dir, item_id)


def _first_start(db: DatabaseLike, report: Report, data_dir: Path) -> bool:
    from desktop_app.services.settings import needs_setup

    return needs_setup(data_dir)


class MainWindow(QMainWindow):
    # The model worker's start after the first paint (issue 25); None: only when asked
    # (tests that do not call a model keep litellm's import off their machine).
    warm_after_ms: int | None = 3000

    def __init__(
        self,
        db: DatabaseLike,
        worker: DbWorker,
        *,
        db_path: Path,
        workflows_dir: Path,
        icon_path: Path | None = None,
        team: TeamRef | None = None,
    ):
        """``team``: a team's database, which ``db`` and every job use instead of the file
        at ``db_path`` (whose folder is still this computer's data folder). ``icon_path``:
        the app's icon (SVG), put on the window and the tray once the window is painted."""
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("Signoff")
        self._icon_path = icon_path
        self._db, self._worker = db, worker
        # The one place the window names its folders and its database; the tabs, dialogs and
        # jobs get them from here. ``db_path`` is ``Paths.db_path``: the data folder's file.
        self.paths = Paths(db_path.parent, workflows_dir, team)
        if team is not None:  # whose inbox this is, at a glance
            from desktop_app.core.database_url import parse

            where = parse(team.url)
            self.setWindowTitle(f"Signoff — team database {where.database} on {where.host}")
        self._gateway: ProcessGateway | None = None
        self._warm_job = self._job(plain=True, what="model worker's start")
        self.live: LiveUpdates | None = None  # a team database's news (after the first paint)
        self._may_warm = False  # not before the window is painted and settled (warm_after_ms)
        self.inbox = InboxView(db, worker, self, data_dir=self.paths.data_dir)
        self._views: dict[str, QWidget] = {"inbox": self.inbox}
        self._build_tabs()
        self._build_banner()
        # SQLite's quick check on the worker, once the window is painted; the banner says a finding
        QTimer.singleShot(1000, self, self._check_database)
        self._quitting = False
        self._told_about_tray = False
        self._build_status_bar()
        self._connect_inbox()
        # Schedules (before a restored tab is built: the Workflows tab uses them).
        self._build_schedules()
        self._build_actions()
        self.notifier.pause_toggled.connect(self.set_paused)
        self.notifier.quit_requested.connect(self.quit)
        self._start_schedules()
        self.tabs.currentChanged.connect(self._on_tab)
        self.update_counts()
        self._restore()
        self._plan_after_start()

    def _build_tabs(self) -> None:
        """One page a tab; only the inbox's view is in its page from the start."""
        self._pages: dict[str, QWidget] = {}
        self.tabs = named(QTabWidget(), "mainTabs")
        for name, title in TABS:
            page = named(QWidget(), f"{name}Page")
            layout = QVBoxLayout(page)
            layout.setContentsMargins(0, 0, 0, 0)
            if name == "inbox":
                layout.addWidget(self.inbox)
            self._pages[name] = page
            self.tabs.addTab(page, title)

    def _build_banner(self) -> None:
        """The banner above the tabs, and the notifier that fills it (and the tray)."""
        from desktop_app.gui.notifier import Banner, Notifier

        self.banner = Banner(self)
        central = named(QWidget(), "centralArea")
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.addWidget(self.banner)
        central_layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.notifier = Notifier(self.banner, self)
        self.notifier.open_item.connect(self.open_item)
        self.notifier.open_window.connect(self.bring_forward)

    def _build_status_bar(self) -> None:
        """The counts and spend (read off the UI thread), and the search index's progress."""
        self.counts = named(QLabel(), "statusCounts")
        self.statusBar().addPermanentWidget(self.counts)
        self._counts_job = self._job(plain=True)
        self._counts_job.done.connect(self._show_counts)
        self._counts_job.failed.connect(self.say)
        self._counts_again = False
        from desktop_app.gui.index_builder import IndexBuilder

        self.index_builder = IndexBuilder(
            self.paths.database, self.statusBar(), self, data_dir=self.paths.data_dir
        )
        self.index_builder.message.connect(self.say)
        self.inbox.decided.connect(lambda *_: self.index_builder.soon())

    def _connect_inbox(self) -> None:
        # Items streaming in from a run refresh the inbox at most a few times a second.
        self._inbox_timer = QTimer(self, singleShot=True, interval=400)
        self._inbox_timer.timeout.connect(self._refresh_inbox)
        self.inbox.decided.connect(lambda *_: self.update_counts())
        self.inbox.decided.connect(lambda *_: self._refresh_activity_if_shown())
        self.inbox.message.connect(self.say)
        self.inbox.compare_requested.connect(self.open_compare)
        self.compare_dialog: CompareDialog | None = None

    def _build_schedules(self) -> None:
        from desktop_app.gui.schedule_driver import ScheduleDriver

        self.schedules = ScheduleDriver(self.paths, self, gateway=lambda: self.gateway)
        self.schedules.item_made.connect(lambda *_: self._inbox_timer.start())
        self.schedules.fired.connect(self._on_scheduled)
        self.schedules.failed.connect(self._schedule_failed)
        self.schedules.swept.connect(self._on_swept)
        self.schedules.acted.connect(self._on_acted)
        self.schedules.clipboard_text.connect(self._copy)

    def _build_actions(self) -> None:
        """Approved items' actions: carried out by a tick once a decision's undo window has
        passed; tried again, or kept as an example, from the inbox."""
        from desktop_app.core.states import UNDO_WINDOW_S

        self._action_timer = QTimer(self, singleShot=True, interval=(UNDO_WINDOW_S + 2) * 1000)
        self._action_timer.timeout.connect(self.schedules.act_now)
        self.inbox.decided.connect(
            lambda verb, _ids: verb == "approve" and self._action_timer.start()
        )
        self._action_job = self._job()
        self._action_job.done.connect(lambda result: self._on_acted([result]))
        self._action_job.failed.connect(self.say)
        self.inbox.retry_action.connect(self.retry_action)
        self.inbox.keep_example.connect(self.keep_example)

    def _start_schedules(self) -> None:
        """A tick soon after start (catch-up after the app was closed), then steady."""
        self.schedules.start()
        self._first_tick = QTimer(self, singleShot=True, interval=5000)
        self._first_tick.timeout.connect(self.schedules.tick)
        self._first_tick.start()

    def _plan_after_start(self) -> None:
        """Once the window is painted: the tray, and the first-start check (no model chosen,
        no key), asked off the UI thread (the keychain can be slow; importing keyring
        would compete with the start)."""
        self._setup_job = self._job()
        self._setup_job.done.connect(self._maybe_welcome)
        self._setup_timer = QTimer(self, singleShot=True, interval=300)
        self._setup_timer.timeout.connect(self._after_start)
        self._setup_timer.start()

    def _after_start(self) -> None:
        self._set_icon()
        app = QApplication.instance()
        if self.notifier.start_tray() and isinstance(app, QApplication):
            app.setQuitOnLastWindowClosed(False)  # closing keeps it there
        self.notifier.start_desktop_notifications()
        self._setup_job.start(_first_start, self.paths.data_dir)
        self.resume_interrupted()
        self.index_builder.start_if_needed(self._db)
        if self.paths.team is not None:
            self._listen_to_the_team(self.paths.team)
        if self.warm_after_ms is not None:
            QTimer.singleShot(self.warm_after_ms, self, self._warm_after_start)

    def _set_icon(self) -> None:
        """The app's icon on the window (and every later one) and for the tray. Made after
        the first paint: ``QIcon``'s class, its enums and the SVG icon engine are ~3 ms of
        a start that shows no icon yet (the .desktop file's icon stands for it)."""
        if self._icon_path is None or self.notifier.icon is not None:
            return
        from PySide6.QtGui import QIcon

        icon = QIcon(str(self._icon_path))
        QApplication.setWindowIcon(icon)
        self.setWindowIcon(icon)
        self.notifier.icon = icon

    def _listen_to_the_team(self, team: TeamRef) -> None:
        """Another computer's new item, decision or run: the inbox and the counts follow
        within a moment (its refresh timer merges a burst into one reload)."""
        from desktop_app.gui.live_updates import LiveUpdates

        self.live = LiveUpdates(team, self)
        self.live.changed.connect(lambda _table: self._inbox_timer.start())
        self.live.start()

    def _warm_after_start(self) -> None:
        self._may_warm = True
        self.warm_model_worker()

    def warm_model_worker(self) -> None:
        """Start the model worker ahead of the first click, so *Run now*, a try-out, a
        profile or a comparison waits only for the model (issue 25): a few seconds after the
        first paint, and again when a person opens what leads to a call (the Workflows tab, a
        comparison) after an idle worker left. The worker loads litellm below the window's
        priority; unasked, it leaves after ``IDLE_S`` (the idle memory goal holds)."""
        if not self._may_warm:
            return
        gateway = self.gateway
        if gateway.running or self._warm_job.running:
            return
        self._warm_job.start(lambda _db, _report: gateway.warm())

    def resume_interrupted(self) -> None:
        """Runs a crash or a kill interrupted are finished now, in the Workflows tab (as
        ``signoff run`` would before its own run): nothing a person started is lost."""
        from desktop_app.core.states import RunState

        left = run_rows.runs_in_state(self._db, RunState.INTERRUPTED)
        if left:
            self.say(f"Resuming {len(left)} interrupted run(s)…")
            self.workflows.run_panel.resume_interrupted()

    @property
    def gateway(self) -> ProcessGateway:
        """Model calls happen in a child process that exits when idle (made on first use)."""
        if self._gateway is None:
            from desktop_app.llm.process_gateway import ProcessGateway

            self._gateway = ProcessGateway()
        return self._gateway

    def _on_scheduled(self, fired: Fired) -> None:
        from desktop_app.services.notices import from_runs

        made = sum(len(s.item_ids) for s in fired.summaries)
        if made:
            self.say(f"{fired.workflow}: {made} new item(s) from its schedule")
        ids = [i for s in fired.summaries for i in s.item_ids]
        statuses = {i: item_rows.get_item(self._db, i)["status"] for i in ids[:200]}
        self.notify(from_runs(fired.workflow, fired.summaries, statuses))
        self._refresh_inbox()
        workflows = self._built_workflows()
        if workflows is not None:
            workflows.reload()

    def _on_acted(self, results: list) -> None:
        from desktop_app.services.notices import from_actions

        done = [r for r in results if r.state == "done"]
        if done:
            self.say(f"{len(done)} action(s) carried out: {done[-1].message}")
        self.notify(from_actions(results))
        self.inbox.reload_keeping_selection()

    def set_paused(self, paused: bool) -> None:
        """Pause all schedules, from the tray's menu or the Workflows tab (kept in step)."""
        self.schedules.set_paused(paused)
        workflows = self._built_workflows()
        if workflows is not None and workflows.pause_box.isChecked() != paused:
            workflows.pause_box.setChecked(paused)
        action = getattr(self.notifier, "pause_action", None)
        if action is not None and action.isChecked() != paused:
            action.setChecked(paused)
        self.say("Schedules paused" if paused else "Schedules running")

    def retry_action(self, item_id: int) -> None:
        if self._action_job.running:
            return
        self.say(f"Trying the action of item {item_id} again…")
        self._action_job.start(
            _retry_action,
            item_id,
            self.paths.workflows_dir,
            self.paths.data_dir,
            self.schedules.clipboard_text.emit,
        )

    def keep_example(self, item_id: int) -> None:
        """An edited or rejected item into its workflow's examples (on the writer thread)."""
        self._worker.submit(
            _keep_example,
            item_id,
            self.paths.workflows_dir,
            on_done=lambda path: self.say(f"Kept item {item_id} as an example: {path}"),
            context=self,  # a refusal (not edited nor rejected) takes the one error path
        )

    def _copy(self, text: str) -> None:
        from PySide6.QtWidgets import QApplication

        QApplication.clipboard().setText(text)

    def _schedule_failed(self, text: str) -> None:
        """A scheduled run or action that could not start: in the status bar and the banner."""
        from desktop_app.services.notices import Notice

        self.say(text)
        workflow = text.split(":", 1)[0] if ":" in text else ""
        self.notify([Notice("schedule_failed", workflow, "A scheduled task could not start", text)])

    def _on_swept(self, swept: Swept) -> None:
        from desktop_app.services.notices import from_sweep

        if swept.expired:
            self._refresh_inbox()
        self.notify(from_sweep(swept))

    def notify(self, notices: list) -> None:
        """Tray balloon (outside quiet hours, where a tray exists) and the in-window banner."""
        from desktop_app.gui import current_settings

        chosen = current_settings.or_defaults(self.paths.data_dir)
        self.notifier.notify(notices, muted=chosen.muted, quiet_hours=chosen.quiet_hours)

    def open_item(self, item_id: int) -> None:
        self.bring_forward()
        self.show_tab("inbox")
        self.inbox.open_item(item_id)

    def bring_forward(self) -> None:
        """Show the window from the tray, or raise it for a second start of the app."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def quit(self) -> None:
        """Quit for real (the tray's Quit): close the window and end the app."""
        from PySide6.QtWidgets import QApplication

        self._quitting = True
        self.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def open_compare(self, item: Item) -> None:
        """Compare models on this item, with its workflow's spec as it stands now (read on the
        writer thread: loading a spec may import Jinja2 and jsonschema)."""
        from desktop_app.services import catalogue

        self.warm_model_worker()
        self._worker.submit(
            lambda _db: catalogue.find(self.paths.workflows_dir, item["workflow"]),
            on_done=lambda spec: self._show_compare(item, spec),
            on_error=lambda exc: self.say(f"Cannot compare item {item['id']}: {exc}"),
            context=self,
        )

    def _show_compare(self, item: Item, spec: Spec) -> None:
        from desktop_app.gui.compare_dialog import CompareDialog

        if self.compare_dialog is not None:
            self.compare_dialog.close()
        dialog = CompareDialog(item, spec, self.paths, self, gateway=self.gateway)
        self.compare_dialog = dialog
        dialog.kept.connect(lambda _id: self._refresh_inbox())
        dialog.show()

    # --- tabs, built on first show ---

    # ``_views`` holds each tab's view under its name (``_build`` makes the one that goes with
    # each name); the typed accessors below say which class that is.

    @property
    def workflows(self) -> WorkflowsView:
        return cast("WorkflowsView", self.view("workflows"))

    @property
    def activity(self) -> ActivityView:
        return cast("ActivityView", self.view("activity"))

    @property
    def settings(self) -> SettingsView:
        return cast("SettingsView", self.view("settings"))

    def _built_workflows(self) -> WorkflowsView | None:
        """The Workflows tab's view if it was built (nothing to keep in step otherwise)."""
        return cast("WorkflowsView | None", self._views.get("workflows"))

    def _built_activity(self) -> ActivityView | None:
        return cast("ActivityView | None", self._views.get("activity"))

    def view(self, name: str) -> QWidget:
        if name not in self._views:
            self._views[name] = self._build(name)
            layout = self._pages[name].layout()
            assert layout is not None  # every page is made with its QVBoxLayout
            shown = self._views[name]
            if name == "settings":  # taller than the window: it scrolls
                from PySide6.QtWidgets import QFrame, QScrollArea

                scroll = named(QScrollArea(), "settingsScroll")
                scroll.setWidgetResizable(True)
                scroll.setFrameShape(QFrame.Shape.NoFrame)
                scroll.setWidget(shown)
                shown = scroll
            layout.addWidget(shown)
        return self._views[name]

    def _build(self, name: str) -> QWidget:
        if name == "workflows":
            return self._build_workflows()
        if name == "activity":
            return self._build_activity()
        return self._build_settings()

    def _build_workflows(self) -> WorkflowsView:
        from desktop_app.gui.workflows_view import WorkflowsView

        view = WorkflowsView(self.paths, self._worker, self, gateway=self.gateway)
        view.items_made.connect(self._inbox_timer.start)
        view.items_made.connect(self._refresh_activity_if_shown)
        view.message.connect(self.say)
        view.pause_box.setChecked(self.schedules.paused)
        view.pause_toggled.connect(self.set_paused)
        view.drifted.connect(self.notify)
        return view

    def _build_activity(self) -> ActivityView:
        from desktop_app.gui.activity_view import ActivityView

        view = ActivityView(self._db, self.paths.database, self)
        view.message.connect(self.say)
        return view

    def _build_settings(self) -> SettingsView:
        from desktop_app.gui.settings_view import SettingsView

        view = SettingsView(self.paths, self, gateway=self.gateway)
        view.changed.connect(self._settings_changed)
        view.message.connect(self.say)
        return view

    def _settings_changed(self) -> None:
        """A new model or server: the Workflows tab shows what runs will use."""
        workflows = self._built_workflows()
        if workflows is not None:
            workflows.reload()

    def show_tab(self, name: str) -> QWidget:
        self.tabs.setCurrentWidget(self._pages[name])
        return self.view(name)

    def current_tab(self) -> str:
        return TABS[self.tabs.currentIndex()][0]

    def _on_tab(self, index: int) -> None:
        name = TABS[index][0]
        self.view(name)
        if name == "workflows":  # where runs, try-outs and profiles start
            self.warm_model_worker()
        self._refresh_activity_if_shown()
        focus = getattr(self._views[name], "table", None)
        if focus is not None:
            focus.setFocus()

    def _maybe_welcome(self, needed: bool) -> None:
        self._setup_job.wait()
        if needed:
            self.show_tab("settings")
            settings = self.settings
            settings.welcome.show()
            settings.find_local()

    # --- refreshing ---

    def _check_database(self) -> None:
        if self.paths.team is not None:  # a team database is its server's to keep whole
            return
        self._worker.submit(
            _database_health, self.paths.db_path, on_done=self._warn_if_read_only, context=self
        )

    def _job(self, *, plain: bool = False, what: str | None = None) -> Job:
        """A job on this window's database (the team's, or this computer's file)."""
        return Job(self.paths.database, self, plain=plain, what=what, data_dir=self.paths.data_dir)

    def _warn_if_read_only(self, reason: str | None) -> None:
        """A damaged database or a read-only data folder: said in the banner until dismissed
        (the line says which)."""
        from desktop_app.services.notices import Notice

        if reason:
            self.banner.show_notice(Notice("database", "", "Read-only", reason))

    def say(self, text: str) -> None:
        """One line in the status bar (known errors from ``gui.errors`` come here too)."""
        self.statusBar().showMessage(text, 8000)

    def _refresh_activity_if_shown(self) -> None:
        activity = self._built_activity()
        if activity is not None and self.current_tab() == "activity" and not activity.job.running:
            activity.reload()

    def _refresh_inbox(self) -> None:
        self.inbox.reload_keeping_selection()
        self.update_counts()
        self.index_builder.soon()  # new items: into the search index a little later

    def update_counts(self) -> None:
        """Refresh the status bar's figures off the UI thread (the counts take about 10 ms over
        a million items); asked while a refresh is under way, it refreshes again after it."""
        if self._counts_job.running:
            self._counts_again = True
            return
        self._counts_again = False
        self._counts_job.start(_status_figures, self.paths.data_dir)

    def _show_counts(self, figures: tuple[int, int, float, float | None]) -> None:
        if self._counts_again:  # asked during that refresh: these figures may be stale
            self.update_counts()
        pending, escalated, spend, cap = figures
        text = f"{pending:,} pending · {escalated:,} escalated · {usd(spend)} spent this month"
        if cap is not None:
            text += f" of {usd(cap)}"
            if spend >= cap:
                text += " (cap reached)"
        self.counts.setText(text)

    # --- start and close ---

    def _restore(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if _stored_geometry(geometry):
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 760)
        tab = str(settings.value("window/tab", 0))  # a str from the file, an int if set this run
        index = int(tab) if tab.isdigit() and int(tab) < len(TABS) else 0
        self.tabs.setCurrentIndex(index)
        if index == 0:
            self.inbox.table.setFocus()

    def closeEvent(self, event: QCloseEvent) -> None:
        tray = self.notifier.tray
        if tray is not None and not self._quitting:
            # Closing keeps Signoff running in the tray: schedules go on, the tray says when
            # something needs a decision. Quit is in the tray's menu.
            event.ignore()
            self.hide()
            if not self._told_about_tray:
                self._told_about_tray = self.notifier.pop_up(
                    "Signoff keeps running", "Its icon is in the tray; Quit is in its menu.", None
                )
            return
        for timer in self.findChildren(
            QTimer
        ):  # nothing fires once the window (and its database) is gone
            timer.stop()
        if self.compare_dialog is not None:
            self.compare_dialog.close()
        # Every job under way: runs and profiles are cancelled (calls under way finish and
        # are recorded), an export finishes rather than leaving a .part file.
        close_all()
        self.schedules.stop()
        self.notifier.stop()
        if self.live is not None:
            self.live.stop()
        if self._gateway is not None:
            self._gateway.close()
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/tab", self.tabs.currentIndex())
        super().closeEvent(event)
