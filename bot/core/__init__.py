"""The small core every stage stands on: typed records, the root error, settings, clock, atomic files, logging.

Imports nothing else of the bot's; every package above may import it.
"""
