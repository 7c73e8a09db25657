"""The config of a feature-engineering job: which tables, how they relate, what to predict, the budget.

Validated with pydantic at the boundary; references between fields (a relationship naming a table
that is not declared, a target table that is not a table) are checked here, before any data is read.
Checks that need the data itself (columns, dtypes, duplicate keys) happen in :mod:`features.validation`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contract.fields import Int
from features.settings import DEFAULT_METRICS, SearchSettings

__all__ = ["DEFAULT_METRICS", "FeaturesConfig", "Relationship", "TableConfig"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TableConfig(_Strict):
    """One table: a CSV or Parquet file inside an input channel."""

    name: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="table name, used in relationships and feature names"
    )
    file: str = Field(description="file name inside the channel directory (.csv or .parquet)")
    index: str | None = Field(None, description="unique row id column; None makes one")
    time_index: str | None = Field(None, description="when each row became known (for cutoff times)")
    channel: str = Field("train", description="input channel holding the file")

    @field_validator("file")
    @classmethod
    def _known_format(cls, file: str) -> str:
        if not file.lower().endswith((".csv", ".parquet", ".pq")):
            raise ValueError(f"file {file!r} must be .csv or .parquet")
        if "/" in file.replace("\\", "/").strip("/") and ".." in file.split("/"):
            raise ValueError(f"file {file!r} must stay inside its channel directory")
        return file


class Relationship(_Strict):
    """A one-to-many link: ``parent`` is ``table.column`` (unique key), ``child`` is ``table.column``."""

    parent: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*\.[^.]+$", description="parent_table.key_column")
    child: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*\.[^.]+$", description="child_table.foreign_key_column")

    @property
    def parent_table(self) -> str:
        return self.parent.split(".", 1)[0]

    @property
    def parent_column(self) -> str:
        return self.parent.split(".", 1)[1]

    @property
    def child_table(self) -> str:
        return self.child.split(".", 1)[0]

    @property
    def child_column(self) -> str:
        return self.child.split(".", 1)[1]


class FeaturesConfig(SearchSettings):
    """Everything a feature-engineering job needs: its tables and target, plus the search settings
    (:class:`features.settings.SearchSettings`, the same definition ``AutoFeatures``' parameters come from)."""

    name: str = Field("features-job", pattern=r"^[A-Za-z0-9](-*[A-Za-z0-9])*$", max_length=40)
    seed: Int = Field(0, ge=0)
    tables: list[TableConfig] = Field(min_length=1)
    relationships: list[Relationship] = Field(default_factory=list)
    target_table: str | None = Field(None, description="table whose rows are predicted; default: the first table")
    target: str = Field(description="the label column of the target table")

    @model_validator(mode="after")
    def _references(self) -> FeaturesConfig:
        names = [t.name for t in self.tables]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"tables: names must be unique, {', '.join(duplicates)} repeated")
        if self.target_table is not None and self.target_table not in names:
            raise ValueError(f"target_table {self.target_table!r} is not one of the tables ({', '.join(names)})")
        for position, relationship in enumerate(self.relationships):
            for side in ("parent", "child"):
                table = getattr(relationship, f"{side}_table")
                if table not in names:
                    raise ValueError(
                        f"relationships[{position}].{side}: table {table!r} is not declared in tables "
                        f"({', '.join(names)})"
                    )
        return self

    @property
    def target_table_name(self) -> str:
        return self.target_table or self.tables[0].name

    def table(self, name: str) -> TableConfig:
        """The table named ``name``."""
        return next(t for t in self.tables if t.name == name)

    def metric_for(self, problem_type: str) -> str:
        """The configured metric, or the default for ``problem_type``."""
        return self.metric or DEFAULT_METRICS[problem_type]
