"""Reading a features job's tables and checking them before any work starts, with errors naming file and column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.config import FeaturesConfig
from features.tables import TableError, check_frame, check_target, close_matches, parse_times, resolve_keys

# the job's data errors are the tables' errors: one type, caught as DataError by the job's callers
DataError = TableError


def read_tables(config: FeaturesConfig, channels: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """Each configured table, read from its channel directory (CSV or Parquet)."""
    frames = {}
    for table in config.tables:
        if table.channel not in channels:
            raise DataError(
                f"table {table.name!r}: input channel {table.channel!r} is not among the job's channels "
                f"({', '.join(channels) or 'none'})"
            )
        path = channels[table.channel] / table.file
        if not path.is_file():
            raise DataError(f"table {table.name!r}: file {path} does not exist")
        try:
            frame = pd.read_parquet(path) if path.suffix.lower() in (".parquet", ".pq") else pd.read_csv(path)
        except pd.errors.EmptyDataError:
            raise DataError(
                f"table {table.name!r}: file {path} is empty; expected a header row and rows of data"
            ) from None
        check_frame(table.name, frame)
        if table.time_index and table.time_index in frame.columns:
            frame[table.time_index] = parse_times(table.name, table.time_index, frame[table.time_index])
        frames[table.name] = frame
    return frames


def check_tables(config: FeaturesConfig, frames: dict[str, pd.DataFrame]) -> None:
    """Every data problem the job would trip on, before it starts."""
    target_table = config.target_table_name
    target = frames[target_table]
    if config.target not in target.columns:
        raise DataError(
            f"target column {config.target!r} is not in table {target_table!r} (columns: "
            f"{', '.join(map(str, target.columns[:20]))})"
        )
    if target[config.target].isna().all():
        raise DataError(f"target column {config.target!r} of table {target_table!r} is empty (all values missing)")
    check_target(target_table, config.target, target[config.target])
    for table in config.tables:
        frame = frames[table.name]
        for role, column in (("index", table.index), ("time_index", table.time_index)):
            if column and column not in frame.columns:
                raise DataError(
                    f"table {table.name!r}: {role} column {column!r} does not "
                    f"exist{close_matches(column, frame.columns)}"
                )
    if config.cutoff_time:
        if config.cutoff_time not in target.columns:
            raise DataError(f"cutoff_time column {config.cutoff_time!r} is not in table {target_table!r}")
        parsed = pd.to_datetime(target[config.cutoff_time], errors="coerce")
        if pd.api.types.is_numeric_dtype(target[config.cutoff_time]) or parsed.isna().any():
            raise DataError(
                f"cutoff_time column {config.cutoff_time!r} must hold datetimes; found values such as "
                f"{target[config.cutoff_time].iloc[0]!r}"
            )
        target[config.cutoff_time] = parsed
    target_rows = target.drop(columns=[config.target])
    related = {name: frame for name, frame in frames.items() if name != target_table}
    # indexes, relationships, id columns and orphan keys: the same checks AutoFeatures.fit makes, before the work
    resolve_keys(
        target_table,
        target_rows,
        related,
        config.table(target_table).index,
        {t.name: t.index for t in config.tables if t.index and t.name != target_table},
        [(r.parent_table, r.parent_column, r.child_table, r.child_column) for r in config.relationships],
    )
