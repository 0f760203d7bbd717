"""The text of a PDF, page by page (pypdf)."""

from __future__ import annotations

import io
import logging

from ..errors import ValidationError

log = logging.getLogger(__name__)


def pages(data: bytes, max_pages: int) -> list[tuple[int, str]]:
    """(page number from 1, text) of every page that has text. A file that is not a
    readable PDF, an encrypted one, or one of more than `max_pages` pages is a
    ValidationError."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings about odd files
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValidationError("the PDF is encrypted: decrypt it first")
        count = len(reader.pages)
        if count > max_pages:
            raise ValidationError(
                f"the PDF has {count} pages, more than documents.max_pages ({max_pages})"
            )
        texts = [(i + 1, page.extract_text() or "") for i, page in enumerate(reader.pages)]
    except ValidationError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ValidationError(f"not a readable PDF: {exc}") from None
    return [(number, text.strip()) for number, text in texts if text.strip()]
