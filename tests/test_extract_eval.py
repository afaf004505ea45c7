"""``newsfuse eval extract``: the benchmark metric, and the command on three pages of the real set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from newsfuse.eval.extract import aggregate, command, page_counts

SHARED = Path(__file__).resolve().parents[2] / "shared"
BENCH = SHARED / "data" / "raw" / "scrapinghub_article_extraction_benchmark"


def test_page_counts_use_four_token_shingles():
    true = "one two three four five"
    assert page_counts(true, true) == (2, 0, 0)
    assert page_counts(true, "one two three four") == (1, 0, 1)
    assert page_counts(true, "") == (0, 0, 2)
    assert page_counts("a b", "a b") == (1, 0, 0)  # fewer than four tokens: one shingle
    assert page_counts(true, true, n=1) == (5, 0, 0)


def test_aggregate_means_over_pages_then_f1_of_means():
    # page 1 perfect, page 2 half precision, page 3 no prediction (left out of the precision mean)
    counts = [(4, 0, 0), (2, 2, 0), (0, 0, 3)]
    result = aggregate(counts)
    assert result["precision"] == pytest.approx((1.0 + 0.5) / 2)
    assert result["recall"] == pytest.approx((1.0 + 1.0 + 0.0) / 3)
    p, r = result["precision"], result["recall"]
    assert result["f1"] == pytest.approx(2 * p * r / (p + r))


@pytest.mark.shared
@pytest.mark.skipif(not BENCH.is_dir(), reason="needs ../shared/data/raw/scrapinghub_article_extraction_benchmark")
def test_eval_command_json_shape_on_three_pages():
    app = typer.Typer()
    app.command()(command)
    result = CliRunner().invoke(app, [str(BENCH), "--json", "--limit", "3"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"task", "dataset", "n", "systems", "info"}
    assert data["task"] == "extract" and data["n"] == 3
    assert data["dataset"] == "scrapinghub_article_extraction_benchmark"
    assert {"newsfuse", "trafilatura"} <= set(data["systems"])
    for name, metrics in data["systems"].items():
        for key in ("precision", "recall", "f1", "token_f1", "accuracy", "empty"):
            assert 0.0 <= metrics[key] <= 1.0
        assert all(0.0 <= v <= 1.0 for v in metrics.values())  # speeds are under "info"
        assert data["info"][name]["pages_per_s"] > 0
    assert data["systems"]["newsfuse"]["f1"] > 0.8
