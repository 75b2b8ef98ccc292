"""The --explain story (issue 15 §4): amounts as amounts, the cycle cap said when it
bites, a suspension cut short by a termination told on the date the JSON gives, an
unknown person refused with a did-you-mean, the story in Chinese quoting the items.

Worked by hand from the texts:
- Jining 四/cycle cap 12: A1 (1 point, 四(一)1) then D5 (12 points) in 2024: 1 + 12 = 13,
  capped at 12 deducted (the policy's `cycle.cap`).
- Jining 五(一): C1 (6) on 2024-03-01 suspends 3 months, to 2024-05-31; D5 (12) on
  2024-04-15 reaches 18 -> capped 12 -> terminate: the suspension ends 2024-04-14.
- Zhanjiang 第十五条 LOSS with amount 14459.93: 10000 <= amount < 30000 -> 20 points.
"""

from __future__ import annotations

from click.testing import CliRunner
from conftest import POLICIES, actions, write_csv

from engine import i18n
from engine.cli import cli
from engine.report.explain import explain


def _story(run, pol, rows, who="P", lang="en"):
    with i18n.using(lang):
        result = run(pol, rows, explain=(who,))
        return result, explain(run.last, who)


def test_the_cycle_cap_is_said_when_it_bites(run):
    rows = [
        {"id": "E1", "person": "P", "date": "2024-02-01", "items": "A1"},
        {"id": "E2", "person": "P", "date": "2024-03-01", "items": "D5"},
    ]
    _, text = _story(run, "jining", rows)
    assert "cycle 2024: 1 + 12 = 13, capped at 12: 12 deducted" in text
    assert "1 + 12 = 12" not in text
    _, zh = _story(run, "jining", rows, lang="zh")
    assert "超过周期扣分上限 12" in zh


def test_a_suspension_cut_short_by_a_termination_is_told_on_the_json_date(run):
    rows = [
        {"id": "E1", "person": "P", "date": "2024-03-01", "items": "C1"},
        {"id": "E2", "person": "P", "date": "2024-04-15", "items": "D5"},
    ]
    result, text = _story(run, "jining", rows)
    (suspension,) = actions(result, "P", "suspend")
    assert suspension["end"] == "2024-04-14"
    assert (
        "the suspension from 2024-03-01 is cut short: it ends on 2024-04-14 "
        "(it was to run to 2024-05-31)" in text
    )
    _, zh = _story(run, "jining", rows, lang="zh")
    assert "自 2024-03-01 起的中止提前结束：止于 2024-04-14" in zh


def test_amounts_are_printed_as_amounts(run):
    rows = [
        {"id": "E1", "person": "P", "date": "2024-03-01", "items": "LOSS", "amount": "14459.93"}
    ]
    _, text = _story(run, "zhanjiang", rows)
    assert "(amount 14459.93)" in text and "1445993/100" not in text
    assert "LOSS 「由于工作疏漏，造成医保基金损失」: 20 points" in text


def test_the_story_in_chinese_quotes_the_regulation(run):
    rows = [{"id": "E1", "person": "P", "date": "2024-03-01", "items": "C1"}]
    _, zh = _story(run, "jining", rows, lang="zh")
    assert "C1「拒绝、阻挠或者不配合医保部门开展必要监督检查的」：6 分  [四(三)1]" in zh
    assert "进入档次 `suspend-3m`" in zh  # tier ids are the policy's own words
    assert "中止期满：自动恢复  [五(二)]" in zh
    assert "2025-12-31 的状态：正常" in zh  # status on the as-of date
    assert "记分周期 2024：0 + 6 = 累计扣分 6" in zh


def test_explain_of_an_unknown_person_exits_1_with_did_you_mean(tmp_path):
    events = write_csv(
        tmp_path / "e.csv", [{"id": "E1", "person": "P100", "date": "2024-03-01", "items": "C1"}]
    )
    out = tmp_path / "out.json"
    args = ["evaluate", "--policy", str(POLICIES / "jining.yaml"), "--events", str(events)]
    r = CliRunner().invoke(cli, [*args, "--explain", "P10", "-o", str(out)])
    assert r.exit_code == 1
    assert "error[unknown-person]: --explain P10: no events and not on the roster" in r.output
    assert "did you mean `P100`?" in r.output
    assert not out.exists()  # no partial output
    zh = CliRunner().invoke(cli, ["--lang", "zh", *args, "--explain", "P10"])
    assert zh.exit_code == 1 and "您是不是要找 `P100`" in zh.output
