"""Demand management: notices, their targeting, the OpenADR VTN, load reduction."""
