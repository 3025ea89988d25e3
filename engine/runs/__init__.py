"""Runs: the event log of each run, the SQLite run store and the manager of child processes."""
from engine.runs.events import EventLog, History
from engine.runs.manager import RunManager, default_runs_root
from engine.runs.store import RunRecord, RunStore

__all__ = ["EventLog", "History", "RunManager", "RunRecord", "RunStore", "default_runs_root"]
