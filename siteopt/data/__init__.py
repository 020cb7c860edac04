"""Reading and validating the data files: load -> check -> typed frames."""

from siteopt.data.dataset import Dataset
from siteopt.data.load import load_data
from siteopt.paths import default_data_dir

__all__ = ["Dataset", "default_data_dir", "load_data"]
