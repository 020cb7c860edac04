"""siteopt: where should Europe build its AI Gigafactories?

An exact, reproducible site-selection optimiser. The public API grows along the data flow::

    load -> validate -> geometry -> model -> solve -> result -> report
"""

__version__ = "0.1.0"
