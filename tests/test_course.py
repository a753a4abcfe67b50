"""The course map and the environment check."""
from dsysedu.course import CHAPTERS, chapter_links, check_environment, course_graph, notebooks_dir


def test_every_available_chapter_links_to_an_existing_notebook():
    links = chapter_links()
    assert [ch for ch, _ in links] == list(CHAPTERS)
    for ch, link in links:
        assert (link is not None) == (notebooks_dir() / ch.notebook).exists()
    assert dict((ch.section, link) for ch, link in links)["1"] == "01_introduction.ipynb"


def test_course_graph_is_a_tree_over_all_chapters():
    import networkx as nx
    g = course_graph()
    assert nx.is_arborescence(g)
    chapters = [n for n, d in g.nodes(data=True) if d["kind"] == "chapter"]
    assert len(chapters) == len(CHAPTERS)


def test_environment_check_reports_core_packages_present():
    rows = {r["package"]: r for r in check_environment()}
    for name in ("simpy", "networkx", "matplotlib", "pandas", "numpy"):
        assert rows[name]["ok"] and rows[name]["version"] != "missing"
    assert "chromium" in rows
