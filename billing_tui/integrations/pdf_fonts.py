"""Fonts of the invoice PDF: the vendored DejaVu Sans faces, prepared once per process and shared by every document.

Fonts are the vendored DejaVu Sans faces (regular and bold). Left to itself fpdf2 parses
each TrueType file with fontTools for every document (``add_font``), then at output subsets
it with fontTools and builds a 128 KiB CIDToGIDMap per font: together about 95% of the time
of an invoice. Here each face is prepared once per process (``_Face``, under a lock):

- fpdf2's own parse of the file is kept as a prototype; every document gets its own font
  object (``_SharedFont``) that shares the prototype's read-only tables (cmap, widths) and
  has its own subset map, descriptor and font program;
- the face is reduced once to a *working font*: the Latin letters, punctuation and euro
  sign that Italian, Romanian and English invoices use, without hinting or layout tables
  (~25 KB), compressed once. A document whose text stays within it embeds it whole, with
  a CIDToGIDMap of its own codes only (``_SharedFontsOutput``): no fontTools work at all;
- a document with any other character (Greek, Cyrillic...) takes fpdf2's own path, which
  subsets the full font for it: slower, never wrong.

The cost is size: about 36 KB a PDF, where fpdf2's per-document subsets give about 26 KB.
"""

from __future__ import annotations

import copy
import logging
import threading
import zlib
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path
from typing import Any, Protocol

from fontTools import subset as ft_subset
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import Glyph, SubsetMap, TTFFont
from fpdf.output import CIDSystemInfo, OutputProducer, PDFFont, PDFType3Font
from fpdf.syntax import Name, PDFArray, PDFContentStream


__all__ = ["FAMILY", "DocumentFonts", "ParsedPerDocumentFonts", "SharedFonts"]

FONT_DIR = Path(__file__).resolve().parent / "fonts"
"""Where the vendored DejaVu Sans files are."""
FAMILY = "dejavu"
"""The family name the renderer uses with ``set_font``."""
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
"""fpdf2 style -> file in ``FONT_DIR``."""

_LOG = logging.getLogger(__name__)



class DocumentFonts(Protocol):
    """How the DejaVu faces get into one ``FPDF`` document and out into its bytes."""

    def install(self, pdf: FPDF) -> None:
        """Make ``FAMILY`` regular and bold usable with ``pdf.set_font``."""

    def output(self, pdf: FPDF) -> bytes:
        """The finished document's bytes, with its fonts embedded."""


class ParsedPerDocumentFonts:
    """fpdf2's plain way, the benchmark's baseline: ``add_font`` parses both files for every document."""

    def install(self, pdf: FPDF) -> None:
        for style, file_name in FONT_FILES.items():
            pdf.add_font(FAMILY, style, FONT_DIR / file_name)

    def output(self, pdf: FPDF) -> bytes:
        return bytes(pdf.output())


# Codepoints of the working font: what Italian, Romanian and English invoices are written
# with (Basic Latin, Latin-1, Latin Extended-A, the Romanian comma-below letters),
# typographic punctuation and the euro sign. It is embedded whole in every document that
# stays within it, so it is kept small; a document with any other character (Greek,
# Cyrillic, Vietnamese...) gets fpdf2's own subset of the full font instead.
_WORKING_RANGES = (
    (0x0020, 0x007E), (0x00A0, 0x017F), (0x0218, 0x021B), (0x02C6, 0x02C7), (0x02D8, 0x02DD),
    (0x2010, 0x2027), (0x2030, 0x203A), (0x20AC, 0x20AC), (0x2116, 0x2116), (0x2122, 0x2122),
    (0x2212, 0x2212), (0xFB01, 0xFB02), (0xFFFD, 0xFFFD),
)
# The tables fpdf2 drops from every embedded subset (fpdf/output.py, _add_fonts).
_DROPPED_TABLES = ("FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "sbix", "CBDT", "CBLC", "EBDT",
                   "EBLC", "EBSC", "SVG ", "CPAL", "COLR", "kern")
# TTFFont attributes that belong to one document; every other one is read-only after
# parsing and shared. ``desc`` is here because fpdf2's output gives the font descriptor the
# document's object number and font stream. tests/unit/test_pdf.py fails when fpdf2 changes
# TTFFont's attributes, so that an upgrade is reviewed against this list.
PER_DOCUMENT_ATTRIBUTES = frozenset({"i", "subset", "missing_glyphs", "biggest_size_pt", "ttfont", "_hbfont",
                                      "color_font", "desc"})
_SUBSET_TAG = "MPDFAA+"  # the subset prefix fpdf2 gives embedded fonts' names


def _open_font(data: bytes) -> ttLib.TTFont:
    """A fresh fontTools font over ``data``: tables are read when first used, and fpdf2 may subset it in place.

    ``recalcBBoxes=False`` keeps the glyphs' stored bounding boxes instead of decoding every
    kept outline again at save: the boxes are those of the original font, so still exact.
    """
    return ttLib.TTFont(BytesIO(data), lazy=True, recalcTimestamp=False, recalcBBoxes=False)


def _working_font(data: bytes) -> tuple[bytes, dict[str, int]]:
    """The font reduced to ``_WORKING_RANGES``, and its glyph id for each glyph name.

    Glyph names are kept because fpdf2 refers to glyphs by name. TrueType hinting is left
    out: PDF viewers rasterise with their own hinting (Acrobat, pdf.js, PDFium, Preview),
    and without it the font is half the size.
    """
    options = ft_subset.Options()
    options.notdef_outline = True
    options.recommended_glyphs = True
    options.glyph_names = True
    options.layout_features = []
    options.hinting = False
    options.drop_tables += [*_DROPPED_TABLES, "gasp"]
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=[cp for low, high in _WORKING_RANGES for cp in range(low, high + 1)])
    font = ttLib.TTFont(BytesIO(data), recalcTimestamp=False)
    subsetter.subset(font)
    glyph_ids = {name: gid for gid, name in enumerate(font.getGlyphOrder())}
    out = BytesIO()
    font.save(out)
    font.close()
    return out.getvalue(), glyph_ids


class _FontProgramStream(PDFContentStream):
    """An embedded TrueType program (FontFile2) compressed once per process, not once per document."""

    def __init__(self, deflated: bytes, length1: int) -> None:
        super().__init__(contents=deflated, compress=False)
        self.filter = Name("FlateDecode")
        self.length1 = length1


class _SharedFont(TTFFont):
    """A document's font object whose read-only parts are its face's, parsed once per process."""

    __slots__ = ("face",)

    face: _Face


class _Face:
    """One TrueType face, prepared once per process and attached to any number of documents.

    Prepared: fpdf2's own parse of the file (cmap, glyph widths, font descriptor), kept as a
    prototype for the documents' font objects; the working font (``_WORKING_RANGES``), its
    glyph ids and its compressed program; and the whole file, for the rare document that
    needs a glyph the working font lacks.
    """

    def __init__(self, style: str, path: Path) -> None:
        self.fontkey = f"{FAMILY}{style}"
        self._full = path.read_bytes()
        scratch = FPDF()
        scratch.add_font(FAMILY, style, path)
        prototype = scratch.fonts[self.fontkey]
        assert isinstance(prototype, TTFFont) and prototype.color_font is None
        prototype.ttfont.close()  # each document opens its own copy
        self._prototype = prototype
        self._working, self._working_gids = _working_font(self._full)
        self._working_deflated = zlib.compress(self._working)

    def attach(self, pdf: FPDF) -> _SharedFont:
        """Give ``pdf`` its own font object: shared metrics, its own subset map and descriptor."""
        font = _SharedFont.__new__(_SharedFont)
        for name in TTFFont.__slots__:
            if name not in PER_DOCUMENT_ATTRIBUTES and hasattr(self._prototype, name):  # some are never set
                setattr(font, name, getattr(self._prototype, name))
        font.face = self
        font.i = len(pdf.fonts) + 1
        font.biggest_size_pt = 0
        font.missing_glyphs = []
        font.color_font = None
        font._hbfont = None
        font.desc = copy.copy(self._prototype.desc)
        font.ttfont = _open_font(self._working)
        font.subset = SubsetMap(font)
        pdf.fonts[self.fontkey] = font
        return font

    def covers(self, font: TTFFont) -> bool:
        """Whether every glyph the document used is in the working font."""
        return all(name in self._working_gids for name in font.subset.get_all_glyph_names())

    def use_full_font(self, font: TTFFont) -> None:
        """Let fpdf2 subset the whole file for this document (it used a glyph outside the working font)."""
        font.ttfont.close()
        font.ttfont = _open_font(self._full)

    def embed(self, out: OutputProducer, font: TTFFont) -> PDFFont:
        """The PDF objects of ``font`` in one document, with the working font embedded whole.

        The same objects as fpdf2's own output for a TrueType font, except that the program
        is the working font compressed once per process instead of a subset made with
        fontTools for each document: that subset, its compression and fpdf2's 128 KiB
        CIDToGIDMap cost two thirds of an invoice's rendering time. The CIDToGIDMap here only
        goes up to the highest code the document uses.
        """
        used = sorted((cid, glyph) for glyph, cid in font.subset.items() if glyph is not None)
        name = f"{_SUBSET_TAG}{font.name}"
        if font.missing_glyphs:  # not in DejaVu at all: left out of the text, as fpdf2 does
            _LOG.warning("Font %s has no glyph for %s", name, "".join(map(chr, font.missing_glyphs[:20])))
        composite = PDFFont(subtype="Type0", base_font=name, encoding="Identity-H")
        out._add_pdf_obj(composite, "fonts")
        cid_font = PDFFont(subtype="CIDFontType2", base_font=name, d_w=font.desc.missing_width,
                           w=_cid_widths((cid, glyph.glyph_width) for cid, glyph in used))
        out._add_pdf_obj(cid_font, "fonts")
        composite.descendant_fonts = PDFArray([cid_font])

        to_unicode = PDFContentStream(_to_unicode_cmap(used).encode("latin-1"), compress=True)
        out._add_pdf_obj(to_unicode, "fonts")
        composite.to_unicode = to_unicode
        system_info = CIDSystemInfo()
        out._add_pdf_obj(system_info, "fonts")
        cid_font.c_i_d_system_info = system_info
        descriptor = font.desc
        descriptor.font_name = Name(name)
        out._add_pdf_obj(descriptor, "fonts")
        cid_font.font_descriptor = descriptor

        cid_to_gid = bytearray(2 * (used[-1][0] + 1) if used else 2)
        for cid, glyph in used:
            cid_to_gid[2 * cid:2 * cid + 2] = self._working_gids[glyph.glyph_name].to_bytes(2, "big")
        cid_to_gid_map = PDFContentStream(bytes(cid_to_gid), compress=True)
        out._add_pdf_obj(cid_to_gid_map, "fonts")
        cid_font.c_i_d_to_g_i_d_map = cid_to_gid_map
        program = _FontProgramStream(self._working_deflated, len(self._working))
        out._add_pdf_obj(program, "fonts")
        descriptor.font_file2 = program  # type: ignore[attr-defined]

        # As fpdf2 does after embedding a font: SubsetMap's methods are memoised process-wide
        # (functools.cache), which would otherwise keep every document's font alive.
        font.subset.pick.cache_clear()
        font.subset.get_glyph.cache_clear()
        font.close()
        return composite


def _cid_widths(widths: Iterable[tuple[int, int]]) -> str:
    """A CIDFont /W array: each run of consecutive codes with its widths (``[3 [600 550] 9 [700]]``)."""
    runs: list[list[int]] = []
    for cid, width in widths:
        if runs and runs[-1][0] + len(runs[-1]) - 1 == cid:
            runs[-1].append(width)
        else:
            runs.append([cid, width])
    return "[" + " ".join(f"{run[0]} [{' '.join(map(str, run[1:]))}]" for run in runs) + "]"


def _to_unicode_cmap(used: list[tuple[int, Glyph]]) -> str:
    """The ToUnicode CMap that lets readers copy and search the text (as fpdf2 writes it)."""
    entries = [
        f"<{cid:04X}> <{''.join(_utf16_hex(code) for code in glyph.unicode)}>\n"
        for cid, glyph in used
        if isinstance(glyph.unicode, tuple) and glyph.unicode
    ]
    blocks = "".join(f"{len(entries[i:i + 100])} beginbfchar\n{''.join(entries[i:i + 100])}endbfchar\n"
                     for i in range(0, len(entries), 100))  # at most 100 entries a block
    return ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo\n"
            "<</Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n/CMapName /Adobe-Identity-UCS def\n"
            "/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            f"{blocks}endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend")


def _utf16_hex(code: int) -> str:
    return chr(code).encode("utf-16-be").hex().upper()


def _prepare_fpdf2_subsets(pdf: FPDF) -> None:
    """Before fpdf2 subsets the shared fonts itself: the full file for those the working font does not cover."""
    for font in pdf.fonts.values():
        if isinstance(font, _SharedFont) and not font.face.covers(font):
            font.face.use_full_font(font)


class _SharedFontsOutput(OutputProducer):
    """fpdf2's output, embedding the shared faces from their prebuilt working fonts when the document allows."""

    def _add_fonts(self, *args: Any, **kwargs: Any) -> dict[int, PDFFont | PDFType3Font]:
        fonts = sorted(self.fpdf.fonts.values(), key=lambda font: font.i)
        if all(isinstance(font, _SharedFont) and font.face.covers(font) for font in fonts):
            return {font.i: font.face.embed(self, font) for font in fonts if isinstance(font, _SharedFont)}
        _prepare_fpdf2_subsets(self.fpdf)  # a glyph outside a working font: fpdf2 embeds every font
        return super()._add_fonts(*args, **kwargs)


class SharedFonts:
    """The faces prepared once per process (on first use, under a lock) and shared by every document.

    Safe to use from several threads: the shared parts are only read once built, and each
    document's font objects, subset maps and PDF objects are its own. With
    ``embed_working_fonts=False`` fpdf2 subsets the fonts of every document itself (smaller
    files, several times slower: the benchmark shows both).
    """

    def __init__(self, font_dir: Path = FONT_DIR, *, embed_working_fonts: bool = True) -> None:
        self._font_dir = font_dir
        self._embed_working_fonts = embed_working_fonts
        self._lock = threading.Lock()
        self._faces: tuple[_Face, ...] | None = None

    def faces(self) -> tuple[_Face, ...]:
        """The prepared faces, preparing them if this is the first call in the process."""
        faces = self._faces
        if faces is None:
            with self._lock:
                if self._faces is None:
                    self._faces = tuple(_Face(style, self._font_dir / name) for style, name in FONT_FILES.items())
                faces = self._faces
        return faces

    def install(self, pdf: FPDF) -> None:
        for face in self.faces():
            face.attach(pdf)

    def output(self, pdf: FPDF) -> bytes:
        if self._embed_working_fonts:
            return bytes(pdf.output(output_producer_class=_SharedFontsOutput))
        _prepare_fpdf2_subsets(pdf)
        return bytes(pdf.output())


SHARED_FONTS = SharedFonts()
