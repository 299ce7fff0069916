from __future__ import annotations

from pydantic import BaseModel, Field


class SheetProblem(BaseModel):
    """One problem in one row of the sheet."""

    row: int = Field(description="the row as the spreadsheet numbers it (1 = the header)", examples=[3])
    column: str = Field(description="the column heading at fault", examples=["部门"])
    reason: str = Field(description="why, in Chinese", examples=["未知部门 'XXJ'"])


class CatalogSheetReport(BaseModel):
    """What an import did (or, in a dry run, would do). Nothing is written while any row has a problem."""

    dry_run: bool = Field(description="true: checked only, nothing written")
    written: bool = Field(description="true when the drafts below were saved")
    total_rows: int = Field(description="data rows read", examples=[467])
    created: list[str] = Field(description="codes of new policies (saved as drafts with a draft version)")
    drafted: list[str] = Field(
        description="codes of existing policies whose rules differ: a new draft version, to publish with a date"
    )
    catalog_updated: list[str] = Field(
        description="codes whose catalog fields (title, 文号, theme, type, payout days, budget, tags, the guide: "
        "通俗解读, 受理时间, 材料, FAQ, 审核环节, 公示天数) change"
    )
    unchanged: int = Field(description="rows identical to the policy's current version")
    errors: list[SheetProblem] = Field(description="every problem found, in row order")
    warnings: list[SheetProblem] = Field(
        default_factory=list,
        description="rules that save but look wrong (a comparison always or never true given the variable's range)",
    )
