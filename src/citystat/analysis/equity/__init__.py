"""Equity: how fairly a service reaches every neighbourhood and every group of residents.

- :mod:`~citystat.analysis.equity.indices`: Gini, Theil T (between/within groups), quintile ratio.
- :mod:`~citystat.analysis.equity.sedt`: the Urban Institute Spatial Equity Data Tool's geographic
  and demographic disparity scores, with confidence intervals from margins of error.
- :mod:`~citystat.analysis.equity.rates`: requests per 1,000 residents, every area shown.
- :mod:`~citystat.analysis.equity.read`: per-area requests and demographics from the warehouse.
"""

from citystat.analysis.equity.common import EquityError, Estimate, Interval
from citystat.analysis.equity.indices import (
    Disparity,
    GroupTheil,
    Quintile,
    QuintileRatio,
    TheilDecomposition,
    assign_quintiles,
    compute_gini,
    compute_quintile_ratio,
    compute_theil,
    decompose_theil,
    measure_disparity,
    weighted_mean,
)
from citystat.analysis.equity.rates import AreaRate, RateTable, compute_request_rates
from citystat.analysis.equity.read import (
    AREA_LAYERS,
    AreaRequests,
    RequestFilter,
    RequestsByArea,
    read_area_requests,
    read_citywide_value,
    read_demographic,
)
from citystat.analysis.equity.sedt import (
    AreaGeographicDisparity,
    DemographicDisparity,
    GeographicDisparity,
    compute_demographic_disparity,
    compute_geographic_disparity,
)

__all__ = [
    "AREA_LAYERS",
    "AreaGeographicDisparity",
    "AreaRate",
    "AreaRequests",
    "DemographicDisparity",
    "Disparity",
    "EquityError",
    "Estimate",
    "GeographicDisparity",
    "GroupTheil",
    "Interval",
    "Quintile",
    "QuintileRatio",
    "RateTable",
    "RequestFilter",
    "RequestsByArea",
    "TheilDecomposition",
    "assign_quintiles",
    "compute_demographic_disparity",
    "compute_geographic_disparity",
    "compute_gini",
    "compute_quintile_ratio",
    "compute_request_rates",
    "compute_theil",
    "decompose_theil",
    "measure_disparity",
    "read_area_requests",
    "read_citywide_value",
    "read_demographic",
    "weighted_mean",
]
