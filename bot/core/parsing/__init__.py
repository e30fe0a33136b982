"""Parsing the settings: values, the file's tables and the publications, for core/settings.py."""
