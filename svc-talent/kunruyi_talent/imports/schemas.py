from __future__ import annotations

from pydantic import BaseModel, Field


class RowProblem(BaseModel):
    """One row the import could not take, and why."""

    row: int = Field(description="the row's number in the file", examples=[3])
    field: str = Field(description="the field at fault (`row` when the whole row is)", examples=["uscc"])
    column: str = Field(description="the file's column heading for that field", examples=["统一社会信用代码"])
    reason: str = Field(
        description="why the row was refused, in Chinese", examples=["统一社会信用代码格式不正确"]
    )


class ImportReport(BaseModel):
    """The row-by-row report of a batch import; rows without problems are saved, the others listed."""

    kind: str = Field(description="`enterprises` or `talents`", examples=["enterprises"])
    total_rows: int = Field(description="data rows read (blank rows skipped)", examples=[10])
    created: int = Field(description="records created", examples=[7])
    updated: int = Field(description="existing records changed", examples=[1])
    unchanged: int = Field(description="rows identical to the existing record", examples=[1])
    failed: int = Field(description="rows refused (listed in `errors`)", examples=[1])
    errors: list[RowProblem] = Field(description="the refused rows, in file order")
