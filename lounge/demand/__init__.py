"""Demand management: peak-load warnings and outage notices (``notices``), whom they reach
(``targeting``), the rules they must meet (``rules``) and the customers' acknowledgements."""
