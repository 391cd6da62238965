"""Language risk detection: lexicon, trained (or semantic) and optional classifier detectors behind one service."""

from bot.detect.base import DetectionUnavailable, DetectorStatus, LexiconVeto, RiskDetector
from bot.detect.combined import build_detectors, combine, combined_tier, load_combination_rule
from bot.detect.lexicon import LexiconDetector
from bot.detect.service import LanguageRiskService

__all__ = [
    "DetectionUnavailable",
    "DetectorStatus",
    "LanguageRiskService",
    "LexiconDetector",
    "LexiconVeto",
    "RiskDetector",
    "build_detectors",
    "combine",
    "combined_tier",
    "load_combination_rule",
]
