"""Exceptions the core raises, each with a message a planner can act on.

Every message is bilingual: ``str(err)`` gives "中文 / English". The UI shows
``str(err)`` as-is, so a message must never contain a server path, a traceback
or library jargon.
"""

from __future__ import annotations


class SpatialError(Exception):
    """Base class of every error the core reports to a user.

    Parameters
    ----------
    zh : str
        The message in Chinese.
    en : str
        The same message in English.
    """

    def __init__(self, zh: str, en: str) -> None:
        self.zh = zh
        self.en = en
        super().__init__(f"{zh} / {en}")

    def message(self, lang: str = "zh") -> str:
        """Return the message in one language (``"zh"`` or ``"en"``)."""
        return self.en if lang == "en" else self.zh


class LayerImportError(SpatialError):
    """An uploaded file could not be read as a layer."""


class LayerValidationError(SpatialError):
    """A layer's features do not match its catalogue declaration."""


class CRSError(SpatialError):
    """A coordinate reference system is unknown or does not fit the data."""


class AnalysisError(SpatialError):
    """An analysis (coverage, indicators) cannot run on the given inputs."""


class ExportError(SpatialError):
    """A map snapshot could not be produced."""
