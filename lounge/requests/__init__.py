"""Requests and faults: kinds and their SLA (``kinds``, ``sla``), the life of a request
(``workflow``), its files (``attachments``) and the VIP fault desk (``desk``)."""
