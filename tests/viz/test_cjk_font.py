"""Chinese terms in figures: drawn with the CJK fallback font, not as empty boxes."""
import warnings

import matplotlib
import pytest

matplotlib.use("Agg")

from dsysedu.viz import style  # noqa: E402
from dsysedu.viz.render import new_figure, png_bytes  # noqa: E402


def test_latin_text_keeps_dejavu_first():
    assert matplotlib.rcParams["font.family"][0] == "DejaVu Sans"


@pytest.mark.skipif(style.CJK_FONT is None, reason="no CJK font installed (scripts/setup.sh installs fonts-noto-cjk)")
def test_a_chinese_term_is_drawn_without_missing_glyphs():
    fig = new_figure(4, 1)
    fig.text(0.1, 0.5, "选举限制 (election restriction), 日志匹配")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png_bytes(fig)
    missing = [w for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
    assert not missing, [str(w.message) for w in missing]
    assert style.CJK_FONT in matplotlib.rcParams["font.family"]
