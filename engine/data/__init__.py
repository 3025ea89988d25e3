"""User data: read files (or demo datasets) honestly, inspect them, clean them and split them."""
from engine.data.columns import guess_roles, one_column_problem
from engine.data.inspect import DataReport, RoleSummary, guessed_plan, inspect_frame, inspect_table
from engine.data.kinds import KINDS, DataPlan, RoleColumn
from engine.data.loading import (
    DEMO_DATASETS,
    DEMO_PREFIX,
    UPLOAD_PREFIX,
    DemoDataset,
    demos_for,
    find_demo,
    display_name,
    load_table,
    read_table,
    register_demo,
    resolve_source,
)
from engine.data.prepare import (
    CleanReport,
    PreparedData,
    Splits,
    clean_frame,
    load_splits,
    require_columns,
    split_frame,
)
from engine.data.reading import SUPPORTED_EXTENSIONS
from engine.data.table import LoadedTable, Problem, ReadOptions, RejectedRow, rejected_frame
from engine.data.uploads import UploadStore

__all__ = [
    "DEMO_DATASETS", "DEMO_PREFIX", "UPLOAD_PREFIX", "SUPPORTED_EXTENSIONS", "DemoDataset", "register_demo", "demos_for",
    "find_demo",
    "display_name", "resolve_source", "read_table", "load_table", "ReadOptions", "LoadedTable", "Problem",
    "RejectedRow", "rejected_frame", "UploadStore", "guess_roles", "one_column_problem",
    "KINDS", "DataPlan", "RoleColumn", "DataReport", "RoleSummary", "guessed_plan", "inspect_frame", "inspect_table",
    "CleanReport", "Splits", "PreparedData", "require_columns", "clean_frame", "split_frame", "load_splits",
]
