"""Temporary: the names of the former ``store`` module, while the window moves to the
modules by table (``run_rows``, ``input_rows``, ``item_rows``, ``item_pages``,
``decision_rows``, ``spec_versions``, ``model_calls``)."""

from desktop_app.storage.decision_rows import insert_decision, last_decision
from desktop_app.storage.input_rows import (
    RunInput,
    input_keys,
    input_of_item,
    is_processed,
    mark_processed,
    queued_count,
    queued_inputs,
    release_queued,
    set_input_status,
)
from desktop_app.storage.item_pages import ItemQuery, count_items, item_ids_page, item_page
from desktop_app.storage.item_rows import (
    get_item,
    insert_item,
    item_summaries,
    iter_items,
    open_item_ids_since,
    public_item,
    update_item,
)
from desktop_app.storage.model_calls import (
    cost_since,
    day_start,
    month_cost,
    month_start,
    record_model_call,
)
from desktop_app.storage.run_rows import (
    create_run,
    get_run,
    has_running_run,
    hostname,
    last_run,
    run_state,
    runs_in_state,
    set_run_state,
)
from desktop_app.storage.spec_versions import (
    insert_version,
    latest_version,
    rename_workflow,
    workflow_names,
)

__all__ = [
    "ItemQuery",
    "RunInput",
    "cost_since",
    "count_items",
    "create_run",
    "day_start",
    "get_item",
    "get_run",
    "has_running_run",
    "hostname",
    "input_keys",
    "input_of_item",
    "insert_decision",
    "insert_item",
    "insert_version",
    "is_processed",
    "item_ids_page",
    "item_page",
    "item_summaries",
    "iter_items",
    "last_decision",
    "last_run",
    "latest_version",
    "mark_processed",
    "month_cost",
    "month_start",
    "open_item_ids_since",
    "public_item",
    "queued_count",
    "queued_inputs",
    "record_model_call",
    "release_queued",
    "rename_workflow",
    "run_state",
    "runs_in_state",
    "set_input_status",
    "set_run_state",
    "update_item",
    "workflow_names",
]
