"""The package list, found: every package under bot/ (a new folder needs no edit), and templates/ as bot.templates
(pyproject.toml maps it). pyproject.toml's [tool.setuptools.packages.find] cannot add a package mapped from outside
bot/, so the discovery is here; everything else is in pyproject.toml."""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["bot", "bot.*"]), "bot.templates"])
