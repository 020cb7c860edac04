"""The names of the objective terms (no imports: the command line reads them at start-up)."""

#: The objective terms, in the order tables show them (cost is subtracted).
TERMS = ("coverage", "grid", "spread", "clean", "green", "letters", "cost")
