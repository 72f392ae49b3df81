"""The review section of report.html, in a real headless Chromium: filters, search and the detail view.

The page keeps its state in the URL hash, so `chromium --headless --dump-dom FILE#filter=...` shows what a
person would see after choosing that filter. Skipped where no chromium is installed (.ci/run installs it).
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from test_compare import make_run
from test_ladder import write_scenario

from advisor.record.run import RungResult, load_record
from advisor.record.samples import Sample, load, write
from advisor.reports import write_reports

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH: `apt-get install -y chromium` (.ci/run does)")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A run with zero-shot, a poor few-shot (one random shot) and a fine-tune that is right on even items."""
    root = tmp_path_factory.mktemp("review")
    folder = make_run(write_scenario(root / "s"), root / "run", k=1, select="random")
    tuned = [
        Sample(
            **{
                **s.model_dump(),
                "rung": "finetune",
                "shots": None,
                "output": s.expected if int(s.id.split("-")[1]) % 2 == 0 else "account",
                "score": float(int(s.id.split("-")[1]) % 2 == 0),
            }
        )
        for s in load(folder)
        if s.rung == "zero_shot"
    ]
    write(folder, "finetune", tuned)
    record = load_record(folder / "run.json")
    record.rungs[-1] = RungResult(name="finetune", status="measured", n=len(tuned))
    record.save(folder / "run.json")
    write_reports(record, folder)
    return folder


def shown(page, fragment: str) -> tuple[list[str], str]:
    """The item ids in the table and the whole DOM after the page has run with `#fragment`."""
    dom = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=5000",
            "--dump-dom",
            f"{page.as_uri()}#{fragment}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
    return re.findall(r'<tr data-id="([^"]+)"', dom), dom


def expected(folder, keep) -> list[str]:
    """The oracle: item ids, in eval order, whose per-rung correctness passes `keep`."""
    grades: dict[str, dict[str, bool]] = {}
    for s in load(folder):
        grades.setdefault(s.id, {})[s.rung] = s.score >= 1
    return [i for i, g in grades.items() if keep(g)]


@needs_chromium
def test_the_filters_show_exactly_the_items_they_name(run):
    page = run / "report.html"
    cheaper = ("zero_shot", "few_shot")
    cases = {
        "failed_all": lambda g: not any(g.values()),
        "fixed_ft": lambda g: g["finetune"] and not any(g[r] for r in cheaper),
        "broken_ft": lambda g: not g["finetune"] and any(g[r] for r in cheaper),
    }
    for name, keep in cases.items():
        ids, dom = shown(page, f"filter={name}")
        want = expected(run, keep)
        assert ids == want, name
        assert f"{len(want)} of 60 items" in dom
    assert len(expected(run, cases["failed_all"])) > 20 and expected(run, cases["broken_ft"])  # the filters are not vacuous
    assert len(shown(page, "filter=all")[0]) == 60


@needs_chromium
def test_search_and_the_detail_view_of_one_item(run):
    page = run / "report.html"
    ids, _ = shown(page, "q=about%20t1")  # t1, t10..t19
    assert ids == ["eval-1", *(f"eval-{i}" for i in range(10, 20))]
    _, dom = shown(page, "item=eval-4")
    detail = dom.split('id="review-detail"', 1)[1]
    assert "Item eval-4" in detail and "eval question about t4" in detail
    assert "prompt (4 messages)" in detail  # few-shot: system, one shot (user, assistant), the question
    assert re.search(r"<dt>shots</dt><dd>train-\d+</dd>", detail)


def test_answers_that_look_like_markup_cannot_end_the_page_data_early():
    import json

    from advisor.reports._review import section

    hostile = "</script><script>alert(1)</script><!--"
    samples = [
        Sample(
            id="a",
            rung="zero_shot",
            input=hostile,
            expected="x",
            output=hostile,
            score=0.0,
            messages=[{"role": "user", "content": hostile}],
        )
    ]
    html = section(samples)
    data = html.split('<script type="application/json" id="review-data">', 1)[1].split("</script>", 1)[0]
    parsed = json.loads(data)  # the whole JSON sits before the first </script>
    assert parsed["items"][0]["answers"]["zero_shot"]["output"] == hostile and parsed["texts"] == [hostile]
    assert "<!--" not in data
