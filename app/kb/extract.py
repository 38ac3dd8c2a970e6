"""Text out of uploads: PDF pages with pypdf, plain text and Markdown as one page.
Every failure becomes an ExtractionError with a reason a shop owner can act on."""

from __future__ import annotations

import io
from collections.abc import Iterator

from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError

SUPPORTED = {
    "application/pdf": "pdf",
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
}
BY_EXTENSION = {".pdf": "pdf", ".txt": "text", ".md": "markdown", ".markdown": "markdown"}


class ExtractionError(Exception):
    pass


def detect_source_type(filename: str | None, content_type: str | None, head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "pdf"
    lowered = (filename or "").lower()
    for extension, kind in BY_EXTENSION.items():
        if lowered.endswith(extension):
            return None if kind == "pdf" else kind  # a .pdf without the PDF header is not a PDF
    return SUPPORTED.get((content_type or "").split(";")[0].strip())


def pdf_pages(data: bytes, *, max_content_bytes: int) -> tuple[int, Iterator[str]]:
    """(page count, a generator of page texts): callers report progress page by page. A page
    whose content stream inflates past `max_content_bytes` yields no text: pypdf needs minutes
    for what a few kilobytes of compressed drawing instructions can expand to."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                unlocked = reader.decrypt("")
            except (NotImplementedError, PyPdfError) as exc:
                raise ExtractionError(
                    "the PDF is encrypted; upload a copy without a password"
                ) from exc
            if not unlocked:
                raise ExtractionError("the PDF is encrypted; upload a copy without a password")
        count = len(reader.pages)
    except ExtractionError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ExtractionError("the PDF is damaged or not a PDF") from exc
    if count == 0:
        raise ExtractionError("the PDF has no pages")

    def pages() -> Iterator[str]:
        for page in reader.pages:
            try:
                contents = page.get_contents()
                if contents is not None and len(contents.get_data()) > max_content_bytes:
                    yield ""
                    continue
                # NUL cannot be stored in Postgres text and carries no meaning
                yield (page.extract_text() or "").replace("\x00", "")
            except (PyPdfError, ValueError, KeyError, TypeError) as exc:
                raise ExtractionError(
                    "a page of the PDF could not be read; the file may be damaged"
                ) from exc

    return count, pages()


def text_pages(data: bytes) -> list[str]:
    try:
        text = data.decode("utf-8-sig").replace("\x00", "")
    except UnicodeDecodeError as exc:
        raise ExtractionError("the file is not UTF-8 text") from exc
    if not text.strip():
        raise ExtractionError("the file is empty")
    return [text]
