"""The names of the objective terms (no imports: the command line reads them at start-up)."""

#: The objective terms, in the order tables show them (cost is subtracted).
TERMS = ("coverage", "grid", "spread", "clean", "green", "letters", "latency", "worst", "backup",
         "fairness", "cost")

#: The terms of access (issue 27): A (mean distance), W (worst distance), B (backup coverage)
#: and F (fairness between member states). They need the demand points, not only the groups.
ACCESS_TERMS = ("latency", "worst", "backup", "fairness")

#: How a point counts towards coverage C with its distance n to the nearest member site:
#: ``step`` (1 within R, else 0), ``linear`` (max(0, 1 - n / R)), ``exponential``
#: (exp(-n / R)).
DECAYS = ("step", "linear", "exponential")

#: A colour per term for charts (Okabe-Ito first, then darker tones a colour-blind reader can
#: still tell apart).
TERM_COLOURS = {"coverage": "#0072B2", "grid": "#009E73", "spread": "#CC79A7",
                "clean": "#56B4E9", "green": "#E69F00", "letters": "#8C510A",
                "latency": "#332288", "worst": "#882255", "backup": "#117733",
                "fairness": "#AA4499", "cost": "#D55E00"}
