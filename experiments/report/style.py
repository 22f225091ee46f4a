"""One figure style for every report figure: journal sizes, fonts (with Chinese), colour-blind-safe colours.

Sizes follow common journal column widths (Elsevier: single column 90 mm, double 190 mm) with 8 pt text.
Colours are the Okabe & Ito (2008, "Color universal design") palette, safe for the common colour-vision
deficiencies; each city keeps its colour in every figure. Chinese labels need a CJK font: the system's Noto CJK
(Debian fonts-noto-cjk, installed by scripts/setup.d/20-browser.sh) is registered with matplotlib's font manager
and used as a per-glyph fallback behind the Latin font; without it, Chinese figures fall back to English labels
(``setup`` says so once) rather than printing empty boxes.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from model.identity import CORE_CITY, PERIPHERY_CITIES  # noqa: E402

MM = 1 / 25.4  # inches per mm
SINGLE_COLUMN_IN = 90 * MM
DOUBLE_COLUMN_IN = 190 * MM
FONT_PT = 8
DPI = 300

OKABE_ITO = {"orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7", "grey": "#999999",
             "black": "#000000"}
# the core city in vermillion, the periphery cities (model.identity order) in blue, then bluish green, ...
_PERIPHERY_COLOURS = ("blue", "bluish_green", "orange", "sky_blue", "yellow", "black")
assert len(PERIPHERY_CITIES) <= len(_PERIPHERY_COLOURS), "style.py: one colour per periphery city"
CITY_COLOURS = {CORE_CITY: OKABE_ITO["vermillion"],
                **{c: OKABE_ITO[k] for c, k in zip(PERIPHERY_CITIES, _PERIPHERY_COLOURS)}}
VERDICT_COLOURS = {"siphon": OKABE_ITO["reddish_purple"], "neutral": OKABE_ITO["grey"],
                   "spillover": OKABE_ITO["sky_blue"], "undetermined": OKABE_ITO["yellow"]}
CJK_FILES = {"sans": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",),
             "serif": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
                       "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")}
LATIN = {"sans": "DejaVu Sans", "serif": "DejaVu Serif"}
FAMILIES = tuple(LATIN)

_warned: set[str] = set()


@dataclass(frozen=True)
class Style:
    family: str              # "sans" or "serif"
    cjk_font: str | None     # name of the registered CJK font, None if none was found

    @property
    def chinese(self) -> bool:
        return self.cjk_font is not None


def find_cjk(family: str = "sans", candidates: tuple[str, ...] | None = None) -> str | None:
    """Register the first existing Noto CJK file with matplotlib; return the simplified-Chinese face name."""
    for path in candidates if candidates is not None else CJK_FILES[family]:
        if not Path(path).is_file():
            continue
        try:
            font_manager.fontManager.addfont(path)
            name = font_manager.FontProperties(fname=path).get_name()
        except (OSError, RuntimeError, ValueError):
            continue
        sc = name.rsplit(" ", 1)[0] + " SC"  # a .ttc holds JP/KR/SC/TC/HK faces; SC has simplified glyph forms
        known = {f.name for f in font_manager.fontManager.ttflist}
        return sc if sc in known else name
    return None


def setup(family: str = "sans", want_chinese: bool = True, stream=None,
          cjk_candidates: tuple[str, ...] | None = None) -> Style:
    """Set matplotlib's rcParams for the report; find a CJK font when Chinese labels are wanted."""
    cjk = find_cjk(family, cjk_candidates) if want_chinese else None
    if want_chinese and cjk is None and "cjk" not in _warned:
        _warned.add("cjk")
        print("note: no CJK font found (install fonts-noto-cjk); figures use English labels", file=stream or sys.stderr)
    fonts = [LATIN[family]] + ([cjk] if cjk else [])
    plt.rcdefaults()
    plt.rcParams.update({
        "font.family": fonts,  # per-glyph fallback: Latin text in the Latin font, Chinese in the CJK font
        "font.size": FONT_PT, "axes.titlesize": FONT_PT, "axes.labelsize": FONT_PT, "xtick.labelsize": FONT_PT - 1,
        "ytick.labelsize": FONT_PT - 1, "legend.fontsize": FONT_PT - 1, "figure.titlesize": FONT_PT + 1,
        "axes.spines.top": False, "axes.spines.right": False, "axes.linewidth": 0.6, "lines.linewidth": 1.2,
        "xtick.major.width": 0.6, "ytick.major.width": 0.6, "grid.linewidth": 0.4, "grid.alpha": 0.5,
        "legend.frameon": False, "figure.dpi": 100, "savefig.dpi": DPI, "savefig.bbox": "tight",
        "savefig.pad_inches": 0.02, "pdf.fonttype": 42, "ps.fonttype": 42,  # TrueType: editable text in PDFs
        "axes.unicode_minus": False,  # the CJK fonts lack U+2212; a hyphen-minus renders in every font
        "axes.prop_cycle": matplotlib.cycler(color=[OKABE_ITO[k] for k in ("blue", "vermillion", "bluish_green",
                                                                          "orange", "reddish_purple", "sky_blue",
                                                                          "yellow", "black")]),
    })
    return Style(family=family, cjk_font=cjk)


def figure_languages(lang: str, family: str, stream, notes: list[str]) -> list[str]:
    """Set the figure style for ``--lang`` (en, zh, both); the languages of the figures: English only, with a note
    in ``notes``, when no CJK font was found."""
    style = setup(family, want_chinese=lang in ("zh", "both"), stream=stream)
    langs = {"en": ["en"], "zh": ["zh"], "both": ["en", "zh"]}[lang]
    if not style.chinese and "zh" in langs:
        notes.append("no CJK font found: Chinese figures were drawn with English labels")
        langs = ["en"]
    return langs


def save(fig, stem: Path) -> list[Path]:
    """Write ``stem``.pdf and ``stem``.png (300 dpi), each under a temporary name and renamed (experiments.io.atomic:
    a failed write, a full disk, leaves no file behind); the figure is closed either way."""
    from experiments.io import atomic

    out = []
    try:
        for ext in ("pdf", "png"):
            path = stem.with_suffix("." + ext)
            atomic(path, lambda tmp, ext=ext: fig.savefig(tmp, format=ext))
            out.append(path)
    finally:
        plt.close(fig)
    return out
