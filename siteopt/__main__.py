"""``python -m siteopt``: the command line. Guarded, as every module a Dask worker may run again
as it starts (:func:`siteopt.analysis.engine.dask_client`)."""

from siteopt.launch import main

if __name__ == "__main__":
    main()
