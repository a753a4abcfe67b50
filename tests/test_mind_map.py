"""The mind map (source section 11): every branch and leaf there, every link resolving to a real heading."""
from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest

from dsysedu.course import notebooks_dir
from dsysedu.mind_map import (STATUSES, heading_anchor, heading_text, leaves, load_mind_map, mind_map,
                              mind_map_path, notebook_headings, resolve)
from dsysedu.viz.mindmap import mind_map_counts, mind_map_html, mind_map_page

NOTEBOOKS = sorted(p for p in notebooks_dir().rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
#: the numbered nodes of the source's section 11, in its order
SOURCE_SECTIONS = ["1", "2", "2.1", "2.2", "2.3", "3", "3.1", "3.2", "3.3", "3.4", "4", "4.1", "4.2", "4.3", "4.4",
                   "5", "5.1", "5.2", "6", "6.1", "6.2", "6.3", "6.4", "7", "8", "8.1", "8.2", "8.3", "8.4",
                   "9", "9.1", "9.2", "9.3", "9.4", "10"]
#: the leaves the source lists in brackets, by section (its words)
SOURCE_LEAVES = {"2.1": ["系统", "特性", "CAP", "时序"], "2.2": ["SMR", "π-演算", "Petri网"],
                 "2.3": ["模型检测", "定理证明"], "3.1": ["定义", "Paxos/Raft", "AI优化"],
                 "3.2": ["强 vs 最终", "SMR", "CRDTs"], "3.3": ["ACID/BASE", "2PC", "Saga"],
                 "3.4": ["属性", "心跳/Gossip"], "4.1": ["RPC", "MQ", "Event Streaming"],
                 "4.2": ["分片", "缓存", "DB选择"], "4.4": ["冗余", "重试", "幂等", "隔离", "降级"],
                 "5.1": ["Facade", "Adapter..."],
                 "5.2": ["Leader Election", "Sidecar", "Circuit Breaker", "Saga", "Event Sourcing..."],
                 "6.1": ["调度", "伸缩", "故障检测"], "6.2": ["决策", "异常处理"],
                 "7": ["简洁性", "可演化性", "韧性/反脆弱性", "可观测性", "安全性", "成本效益", "形式化工程实践"],
                 "8.1": ["TLA+", "局限"], "8.3": ["自动化验证", "部署策略"], "9.1": ["Metrics", "Logs", "Traces"],
                 "9.2": ["AI异常检测", "剧本"]}


def nbconvert_ids(path: Path) -> set[str]:
    """The heading ids nbconvert writes for a notebook's markdown (what the static site's pages carry)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    ids = set()
    for c in cells:
        if c["cell_type"] == "markdown":
            ids |= {html.unescape(i) for i in re.findall(r'<h[1-6] id="([^"]+)"',
                                                         markdown2html_mistune("".join(c["source"])))}
    return ids


def test_the_map_holds_every_branch_and_leaf_of_the_source():
    root = mind_map()
    assert [n.section for n in root.walk() if n.section] == SOURCE_SECTIONS
    by_section = {n.section: n for n in root.walk() if n.section}
    for section, words in SOURCE_LEAVES.items():
        assert [c.zh for c in by_section[section].children] == words, section
    assert all(n.status in STATUSES and n.en and n.zh for n in root.walk())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(notebooks_dir())))
def test_heading_anchors_are_the_ids_nbconvert_writes(path):
    assert {h.anchor for h in notebook_headings(path)} == nbconvert_ids(path)


def test_every_link_of_the_map_resolves_to_a_notebook_and_a_heading_it_has():
    root, checked = mind_map(), 0
    for node in root.walk():
        if node.status == "planned":
            assert node.href is None and not (notebooks_dir() / node.notebook).exists()
            continue
        for path, exists in node.also:
            assert exists == (notebooks_dir() / path).exists()
        if node.href is None:
            assert node.status == "branch" and node.notebook is None
            continue
        notebook, _, anchor = node.href.partition("#")
        assert (notebooks_dir() / notebook).is_file(), node.href
        if anchor:
            assert anchor in nbconvert_ids(notebooks_dir() / notebook), node.href
            checked += 1
    assert checked >= 35   # the written chapters' sections link to headings, not just to notebooks
    # a leaf the source names whose lesson exists opens its own section
    cap = next(n for n in root.walk() if n.zh == "CAP")
    assert cap.status == "section" and cap.heading.startswith("2.1.3")


def _copy_notebooks(tmp_path: Path) -> Path:
    dst = tmp_path / "notebooks"
    shutil.copytree(notebooks_dir(), dst, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return dst


def _notebook(path: Path, *markdown: str) -> None:
    path.write_text(json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": m} for m in markdown],
                                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")


def test_a_chapter_links_as_soon_as_its_notebook_exists(tmp_path):
    root = _copy_notebooks(tmp_path)
    (root / "07_principles.ipynb").unlink(missing_ok=True)
    before = {n.zh: n for n in resolve(load_mind_map(), root).walk()}
    assert before["成熟工程设计原则"].status == "planned" and before["简洁性"].href is None
    _notebook(root / "07_principles.ipynb", "# 7 · Principles (成熟工程设计原则)",
              "## 7.1 Simplicity (简洁性): two designs of one job\n\ntext", "## 7.2 Evolvability\n\n### A swap")
    after = {n.zh: n for n in resolve(load_mind_map(), root).walk()}
    assert after["成熟工程设计原则"].href == "07_principles.ipynb"
    assert after["简洁性"].status == "section"
    assert after["简洁性"].href == "07_principles.ipynb#7.1-Simplicity-(%E7%AE%80%E6%B4%81%E6%80%A7):-two-designs-of-one-job"
    assert after["可演化性"].href == "07_principles.ipynb#7.2-Evolvability"
    # a principle without a section of its own opens the chapter, and is not shown as planned
    assert after["安全性"].status == "parent" and after["安全性"].href == "07_principles.ipynb"
    assert {h.anchor for h in notebook_headings(root / "07_principles.ipynb")} == nbconvert_ids(
        root / "07_principles.ipynb")


def test_children_are_looked_for_under_their_parent_heading(tmp_path):
    root = _copy_notebooks(tmp_path)
    _notebook(root / "09_operations.ipynb", "# 9 · Operations", "## Logs of the learner's own",
              "## 9.1 Monitoring\n\n### Metrics, RED\n\n### Logs, structured", "## 9.2 Alerting")
    nodes = {n.zh: n for n in resolve(load_mind_map(), root).walk()}
    assert nodes["Logs"].heading == "Logs, structured"       # not the heading above 9.1 that says "Logs"
    assert nodes["Traces"].status == "parent" and nodes["Traces"].href == nodes["监控体系"].href
    assert nodes["剧本"].href == nodes["智能告警与响应"].href == "09_operations.ipynb#9.2-Alerting"


def test_section_numbers_match_whole_numbers_only(tmp_path):
    root = _copy_notebooks(tmp_path)
    _notebook(root / "08_practice.ipynb", "# 8 · Practice", "## 8.10 Not this one", "## 8.1 Formal methods")
    nodes = {n.zh: n for n in resolve(load_mind_map(), root).walk()}
    assert nodes["形式化方法应用"].heading == "8.1 Formal methods"
    assert nodes["IaC"].status == "parent"   # no heading 8.2: it opens the chapter


@pytest.mark.parametrize("change, message", [
    (lambda t: t["children"][0].update(colour="red"), "unknown keys"),
    (lambda t: t["children"][1].update(en=""), "non-empty 'en'"),
    (lambda t: t["children"][1].update(section="two"), "expected a number"),
    (lambda t: t["children"][1].update(children={}), "must be a list"),
    (lambda t: t["children"][0].update(notebook="01.md"), ".ipynb"),
])
def test_a_bad_map_is_refused_with_where_and_why(tmp_path, change, message):
    tree = json.loads(mind_map_path().read_text(encoding="utf-8"))
    change(tree)
    bad = tmp_path / "map.json"
    bad.write_text(json.dumps(tree, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(message)):
        load_mind_map(bad)


def test_heading_text_drops_markdown():
    assert heading_text("## 1.4 A timeout cannot tell *slow* from **lost** `x`") == "1.4 A timeout cannot tell slow from lost x"
    assert heading_text("### See [chapter 2](02_1_system_model.ipynb) & more") == "See chapter 2 & more"
    assert heading_anchor("Paxos & Raft: 形式") == "Paxos-&-Raft:-%E5%BD%A2%E5%BC%8F"


def test_the_html_tree_links_ready_nodes_and_greys_planned_ones():
    root = mind_map()
    page = mind_map_html(root)
    counts = mind_map_counts(root)
    assert counts["leaves"] == len(leaves(root)) == counts["ready"] + counts["planned"]
    for node in root.walk():
        if node.href:
            assert f'href="{html.escape(node.href)}"' in page
    assert page.count('<span class="tag">planned</span>') == sum(n.status == "planned" for n in root.walk())
    # a link function that knows no page: the words stay, the links go
    bare = mind_map_html(root, link=lambda href: None)
    assert "<a " not in bare and "Consensus (共识)" in bare
    assert mind_map_page(root).startswith("<!DOCTYPE html>")
    with pytest.raises(ValueError, match="open_depth"):
        mind_map_html(root, open_depth=-1)
