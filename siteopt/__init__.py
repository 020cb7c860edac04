"""siteopt: where should Europe build its AI Gigafactories?

An exact, reproducible site-selection optimiser::

    >>> import siteopt
    >>> result = siteopt.solve()                 # the default model on the shipped data
    >>> result.status.value
    'optimal'

The pipeline follows the data: load -> validate -> geometry -> model -> solve -> result ->
report.
"""

__version__ = "0.1.0"

from siteopt.api import compare, solve  # noqa: E402
from siteopt.config import ModelConfig, load_model  # noqa: E402
from siteopt.data import Dataset, load_data  # noqa: E402
from siteopt.errors import (  # noqa: E402
    ConfigError,
    InfeasibleError,
    InputError,
    SiteoptError,
    SolverError,
)
from siteopt.result import Result  # noqa: E402
from siteopt.solve import Status  # noqa: E402

__all__ = ["solve", "compare", "load_data", "load_model", "Dataset", "ModelConfig", "Result", "Status",
           "SiteoptError", "InputError", "ConfigError", "InfeasibleError", "SolverError",
           "__version__"]
