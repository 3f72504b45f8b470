"""The benchmarks' percentiles are nearest-rank: of 20 timings the p95 is the 19th, so one
slow request out of twenty is not reported as the route's p95 (issue 17, goal 2)."""

from bench.loadgen import LoadResult, percentile


def test_p95_of_twenty_timings_is_the_nineteenth():
    timings = [float(n) for n in range(20, 0, -1)]  # 20 down to 1, any order
    assert percentile(timings, 95) == 19.0
    assert percentile(timings, 50) == 10.0
    assert percentile(timings, 100) == 20.0


def test_one_timing_is_every_percentile_of_itself():
    assert percentile([7.0], 50) == percentile([7.0], 95) == 7.0


def test_the_load_generator_reports_the_same_percentile():
    result = LoadResult(latencies=[0.001 * n for n in range(1, 21)])
    assert result.percentile(95) == percentile(result.latencies, 95)
    assert LoadResult().percentile(95) == 0.0
