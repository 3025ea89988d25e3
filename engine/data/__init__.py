"""User data: load files (or demo datasets), inspect them, clean them and split them."""
from engine.data.inspect import DataReport, inspect_frame
from engine.data.loading import (
    DEMO_DATASETS,
    SUPPORTED_EXTENSIONS,
    DemoDataset,
    load_table,
    register_demo,
    resolve_source,
)
from engine.data.prepare import (
    CleanReport,
    PreparedData,
    Splits,
    clean_frame,
    empty_mask,
    load_splits,
    normalise_labels,
    require_columns,
    split_frame,
)

__all__ = [
    "DEMO_DATASETS", "SUPPORTED_EXTENSIONS", "DemoDataset", "register_demo", "resolve_source", "load_table",
    "DataReport", "inspect_frame",
    "CleanReport", "Splits", "PreparedData", "require_columns", "clean_frame", "split_frame", "load_splits",
    "empty_mask", "normalise_labels",
]
