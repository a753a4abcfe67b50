"""The bilingual glossary: every bracketed Chinese term of every notebook is in data/glossary.csv."""
from __future__ import annotations

import csv

import pytest

from dsysedu.course import notebooks_dir
from dsysedu.glossary import (COLUMNS, bracketed_terms, glossary_path, load_glossary, missing_terms, notebook_order,
                              search, term_uses)

NOTEBOOKS = notebook_order(notebooks_dir())


def test_the_glossary_is_well_formed_and_large():
    rows = load_glossary()
    assert len(rows) >= 200
    assert all(list(r) == list(COLUMNS) for r in rows)
    sections = {r["section"] for r in rows}
    assert {"1", "2.1.3", "3.1.2", "4.2", "5.2"} <= sections


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_bracketed_term_of_the_notebook_is_in_the_glossary(notebook):
    have = {r["chinese"] for r in load_glossary()}
    missing = [u for u in term_uses() if u.notebook == notebook and u.term not in have]
    assert not missing, (
        f"notebooks/{notebook} gives terms in brackets that data/glossary.csv lacks; add a row "
        "(english,chinese,section,definition) for each:\n" + "\n".join(
            f"  ({u.term}) in section {u.section or '?'}: e.g. ENGLISH TERM,{u.term},{u.section or '?'},ONE-LINE DEFINITION"
            for u in missing))


def test_terms_are_read_from_brackets_with_their_section(tmp_path):
    assert bracketed_terms("**BASE** (basically available, soft state,\neventually consistent: 基本可用, 软状态, 最终一致)") \
        == ["基本可用", "软状态", "最终一致"]
    assert bracketed_terms("a *cut* (割) and (not Chinese) and （全角括号） and (割)") == ["割", "全角括号"]
    assert bracketed_terms("(Paxos提交, §3.3.2) (*scope extrusion*, 作用域扩展)") == ["Paxos提交", "作用域扩展"]
    assert bracketed_terms('the source\'s words ("保障系统持续健康") and (“闭环”)') == ["保障系统持续健康", "闭环"]
    nb = tmp_path / "nb"
    nb.mkdir()
    (nb / "07_principles.ipynb").write_text(
        '{"cells": [{"cell_type": "markdown", "source": "# 7 Principles (原则)\\n\\n## 7.2 Evolvability (可演化性)\\n'
        'text (可演化性) and (新词)"}, {"cell_type": "code", "source": "x = 1  # (代码)"}]}', encoding="utf-8")
    uses = term_uses(nb)
    assert [(u.term, u.section) for u in uses] == [("原则", "7"), ("可演化性", "7.2"), ("新词", "7.2")]
    rows = [{"english": "evolvability", "chinese": "可演化性", "section": "7", "definition": "d"}]
    assert [u.term for u in missing_terms(rows, nb)] == ["原则", "新词"]


def _write(path, rows, header=COLUMNS):
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.mark.parametrize("rows, header, message", [
    ([["cut", "割", "2.1", "d"], ["cut again", "割", "2.1", "d"]], COLUMNS, "already on line 2"),
    ([["cut", "割", "2.1", ""]], COLUMNS, "definition is empty"),
    ([["cut", "cut", "2.1", "d"]], COLUMNS, "no Chinese"),
    ([["cut", "割", "2.1", "two\nlines"]], COLUMNS, "more than one line"),
    ([["cut", "割", "2.1"]], ("english", "chinese", "section"), "the columns must be"),
])
def test_a_bad_glossary_is_refused(tmp_path, rows, header, message):
    with pytest.raises(ValueError, match=message):
        load_glossary(_write(tmp_path / "g.csv", rows, header))


def test_search_filters_any_column_and_the_widget_follows_it():
    from dsysedu.widgets import GlossaryTable

    rows = load_glossary()
    assert search(rows, "") == rows
    found = search(rows, "一致性")
    assert {"线性一致性", "最终一致性", "顺序一致性"} <= {r["chinese"] for r in found} and len(found) < len(rows)
    assert {r["english"] for r in search(rows, "LINEARIZ")} >= {"linearizability"}
    assert all(r["section"].startswith("3.3") or "3.3" in r["definition"] for r in search(rows, "3.3."))
    with pytest.raises(TypeError):
        search(rows, 3)
    table = GlossaryTable(rows)
    assert table.shown == len(rows)
    table.filter.value = "熔断"
    assert table.shown == 1 and "circuit breaker" in table.table.value
    table.filter.value = "no such term anywhere"
    assert table.shown == 0 and "0 of" in table.count.value
    assert glossary_path().name == "glossary.csv"


def test_the_table_falls_back_to_html_where_no_widget_runs():
    from dsysedu.widgets import GlossaryTable

    bundle = GlossaryTable(query="熔断")._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "circuit breaker" in bundle["text/html"] and "1 of" in bundle["text/html"]
