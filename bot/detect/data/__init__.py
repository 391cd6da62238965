"""Detector data files (lexicon, exemplars, combination rule); a package so they ship in the wheel."""
