"""Reading a features job's tables and checking them before any work starts, with errors naming file and column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.config import FeaturesConfig


class DataError(ValueError):
    """Input data that cannot be used, with what was found and what was expected."""


def read_tables(config: FeaturesConfig, channels: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """Each configured table, read from its channel directory (CSV or Parquet)."""
    frames = {}
    for table in config.tables:
        if table.channel not in channels:
            raise DataError(f"table {table.name!r}: input channel {table.channel!r} is not among the job's channels ({', '.join(channels) or 'none'})")
        path = channels[table.channel] / table.file
        if not path.is_file():
            raise DataError(f"table {table.name!r}: file {path} does not exist")
        frame = pd.read_parquet(path) if path.suffix.lower() in (".parquet", ".pq") else pd.read_csv(path)
        for column in filter(None, (table.time_index,)):
            if column in frame.columns:
                frame[column] = pd.to_datetime(frame[column], errors="coerce")
        frames[table.name] = frame
    return frames


def check_tables(config: FeaturesConfig, frames: dict[str, pd.DataFrame]) -> None:
    """Every data problem the job would trip on, before it starts."""
    target_table = config.target_table_name
    target = frames[target_table]
    if config.target not in target.columns:
        raise DataError(f"target column {config.target!r} is not in table {target_table!r} (columns: {', '.join(map(str, target.columns[:20]))})")
    if target[config.target].isna().all():
        raise DataError(f"target column {config.target!r} of table {target_table!r} is empty (all values missing)")
    for table in config.tables:
        frame = frames[table.name]
        for role, column in (("index", table.index), ("time_index", table.time_index)):
            if column and column not in frame.columns:
                raise DataError(f"table {table.name!r}: {role} column {column!r} does not exist")
        if table.index and frame[table.index].duplicated().any():
            duplicates = frame.loc[frame[table.index].duplicated(), table.index].head(3).tolist()
            raise DataError(f"table {table.name!r}: index column {table.index!r} has duplicate values, e.g. {duplicates}")
    for relationship in config.relationships:
        for side in ("parent", "child"):
            table, column = getattr(relationship, f"{side}_table"), getattr(relationship, f"{side}_column")
            if column not in frames[table].columns:
                raise DataError(f"relationship {relationship.parent} -> {relationship.child}: table {table!r} has no column {column!r}")
    if config.cutoff_time:
        if config.cutoff_time not in target.columns:
            raise DataError(f"cutoff_time column {config.cutoff_time!r} is not in table {target_table!r}")
        parsed = pd.to_datetime(target[config.cutoff_time], errors="coerce")
        if pd.api.types.is_numeric_dtype(target[config.cutoff_time]) or parsed.isna().any():
            raise DataError(f"cutoff_time column {config.cutoff_time!r} must hold datetimes; found values such as {target[config.cutoff_time].iloc[0]!r}")
        target[config.cutoff_time] = parsed
