"""The problems the indicator system answers with (rendered into docs/errors.md)."""

from __future__ import annotations

from kunruyi_common.errors import Conflict, NotFound, Unprocessable


class IndicatorNotFound(NotFound):
    """没有代码为 … 的指标"""

    code = "indicator_not_found"


class IndicatorNotReported(Conflict):
    """该指标由平台数据计算，不接受报送"""

    code = "indicator_not_reported"


class BadQuarter(Unprocessable):
    """季度格式应为 2025Q3，且不能是尚未开始的季度或行动计划之前的季度"""

    code = "bad_quarter"


class WrongUnit(Unprocessable):
    """报送值的单位与指标的单位不同"""

    code = "wrong_unit"


class ValueOutOfRange(Unprocessable):
    """报送值超出该指标的合理范围（负数、百分比超过 100 或超过上限）"""

    code = "value_out_of_range"


class ReportNotFound(NotFound):
    """该指标没有编号为 … 的报送"""

    code = "report_not_found"


class SamePerson(Conflict):
    """报送人不能审核自己的报送：须由另一人审核"""

    code = "same_person"


class AlreadyApproved(Conflict):
    """该报送已审核，不能再次审核"""

    code = "report_already_approved"


class BadYear(Unprocessable):
    """年度监测分析的年度须在行动计划期内（2022 年起）且不晚于今年"""

    code = "bad_report_year"
