"""Fairness report: fill rate, ideal share and price against the block."""

from __future__ import annotations

from tests.unit.allocation.helpers import D, inputs
from toms.allocation import allocate, fairness_report


def test_report_of_residual_case():
    # 400/400/400, lot 100, 1,050 filled → 400 / 350 / 300 (see test_prorata).
    # Ideal 350 each; deviations +50 / 0 / −50; fill rates 1 / 0.875 / 0.75;
    # block fill rate 1050 / 1200 = 0.875.
    report = fairness_report(allocate(inputs([400, 400, 400], 1050, price="50.25")))
    assert [r.deviation for r in report.rows] == [D(50), D(0), D(-50)]
    assert [r.fill_rate for r in report.rows] == [D(1), D("0.875"), D("0.75")]
    assert report.block_fill_rate == D("0.875")
    assert report.all_at_average_price
    assert report.max_abs_deviation == D(50)
    assert report.max_abs_deviation_lots == D("0.5")
    data = report.to_dict()
    assert data["rows"][0]["price_vs_average"] == "0.00"
    assert data["all_at_average_price"] is True
