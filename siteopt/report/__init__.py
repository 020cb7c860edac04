"""Presenting results: terminal tables, maps and the HTML report."""
