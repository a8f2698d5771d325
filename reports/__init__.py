"""PDF builders: take plain data (``reports.documents``), return bytes; no database access."""
