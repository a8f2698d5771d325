"""PDF builders: take plain data (``reports.documents``), return bytes; no database access."""

from reportlab import rl_config

# reportlab checks every attribute set on a chart's shapes against its declared type: a help
# while a chart is being written, and half the time of drawing one (the meeting pack draws
# several). Set before any builder imports ``reportlab.graphics``, whose classes read it then.
rl_config.shapeChecking = 0
