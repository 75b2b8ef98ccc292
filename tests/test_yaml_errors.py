"""YAML syntax errors told at the place of the mistake, with a hint in both languages
(issue 15 §5): a full-width colon, a tab, an unclosed quote, bad indentation."""

from __future__ import annotations

import re

import pytest

from engine import i18n
from engine.errors import PolicyError
from engine.policy.source import load_document


def _error(text: str, lang: str = "en"):
    with i18n.using(lang), pytest.raises(PolicyError) as info:
        load_document("p.yaml", text)
    (d,) = info.value.diagnostics
    assert d.code == "yaml"
    return d


@pytest.mark.parametrize(
    "text, line, column, words",
    [
        # `title：测试` typed with a Chinese input method: the colon itself, on its line
        ("id: tiny\ntitle：测试\nissuer: x\n", 2, 6, "full-width colon `：` after `title`"),
        ("items:\n  - code： A1\n    points: 1\n", 2, 9, "after `code`"),
        # in a flow mapping YAML reads `kind： deductions` as one key: caught all the same
        ("scale: {kind： deductions, initial: 12}\n", 1, 13, "after `kind`"),
        ("id: tiny\nitems:\n\t- code: A1\n", 3, 1, "a tab in the indentation"),
        ("items:\n  - code: A1\n  \tpoints: 1\n", 3, 3, "a tab in the indentation"),
        # PyYAML reports the end of the file; the mistake is the opening quote
        ('id: tiny\ntitle: "测试办法\nissuer: x\nother: y\n', 2, 8, 'the " that opens'),
        ("id: tiny\ntitle: '测试办法\nissuer: x\n", 2, 8, "the ' that opens"),
        (
            "items:\n  - code: A1\n     points: 1\n  - code: A2\n",
            3,
            6,
            "starts at column 6, expected column 5",
        ),
        ("items:\n  - code: A1\n   points: 1\n", 3, 4, "starts at column 4, expected column 5"),
        ("id: tiny\n title: x\nissuer: y\n", 2, 2, "starts at column 2, expected column 1"),
    ],
)
def test_the_commonest_mistakes_point_at_themselves(text, line, column, words):
    d = _error(text)
    assert (d.span.line, d.span.column) == (line, column), d.render()
    assert words in d.message
    assert d.hint


@pytest.mark.parametrize(
    "text, hint_zh",
    [
        ("id: tiny\ntitle：测试\nissuer: x\n", "中文输入法"),
        ("id: tiny\nitems:\n\t- code: A1\n", "空格"),
        ('id: tiny\ntitle: "测试办法\nissuer: x\n', "引号"),
        ("items:\n  - code: A1\n     points: 1\n", "对齐"),
    ],
)
def test_hints_in_chinese(text, hint_zh):
    en, zh = _error(text, "en"), _error(text, "zh")
    assert (en.span, en.code) == (zh.span, zh.code)
    assert hint_zh in zh.hint and hint_zh not in en.hint


def test_a_value_may_hold_a_full_width_colon():
    doc = load_document("p.yaml", "text: 第一条：迟到的\nitems: [{code: A1, text: 注：见附件}]\n")
    assert doc.data["text"] == "第一条：迟到的"


# PyYAML's own problems ("mapping values are not allowed in this context", ...) reached
# a reader of Chinese in English; each kind is now a message of the catalogue, at the
# parser's place. (text, line, column, English words, Chinese words)
PARSER_PROBLEMS = [
    ("a: b: c\n", 1, 5, "a value that holds `: ` must be quoted", "含有 `: ` 的值须加引号"),
    ("a: [1, 2\n", 2, 1, "a `[` list is not closed by `]`", "`[` 开始的列表没有用 `]` 结束"),
    ("a: {b: c\n", 2, 1, "a `{` mapping is not closed by `}`", "`{` 开始的映射没有用 `}` 结束"),
    ("a: @x\n", 1, 4, "a value cannot start with `@`", "值不能以 `@` 开头"),
    ("a: *nope\n", 1, 4, "an alias `*` names an anchor", "别名 `*` 所指的锚点 `&` 未定义"),
    ('a: "\\q"\n', 1, 5, "an unknown escape", "未知的转义"),
    ("a: 1\n---\nb: 2\n", 2, 1, "a second YAML document", "第二个 YAML 文档"),
    ("a: - b\n", 1, 4, "a list item `- ` where no list can start", "此处不能开始列表"),
    ("a: &x 1\nb: &x 2\n", 2, 4, "an anchor `&` is defined twice", "锚点 `&` 定义了两次"),
    ("a: b\x07\n", 1, 5, "a control character (U+0007)", "YAML 不允许的控制字符（U+0007）"),
]


@pytest.mark.parametrize("text, line, column, en_words, zh_words", PARSER_PROBLEMS)
def test_the_parsers_problems_in_both_languages(text, line, column, en_words, zh_words):
    en, zh = _error(text, "en"), _error(text, "zh")
    assert (en.span.line, en.span.column) == (line, column), en.render()
    assert en_words in en.message and zh_words in zh.message, zh.render()
    assert en.span == zh.span
    shown = (zh.message + (zh.hint or "")).replace("YAML", "")
    assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{2,}", re.sub(r"`[^`]*`", "", shown)), shown


def test_a_problem_outside_the_table_keeps_the_parsers_words_quoted():
    from engine.policy.yamlerrors import problem_text

    with i18n.using("zh"):
        message, hint = problem_text("something new", "while doing")
    assert message == "YAML 格式错误（解析器提示 `something new`）" and hint is None
