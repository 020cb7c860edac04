"""Reading and validating the data files: load -> check -> typed frames."""

from siteopt.data.load import Dataset, default_data_dir, load_data

__all__ = ["Dataset", "default_data_dir", "load_data"]
