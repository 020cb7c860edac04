"""The explorer: decide interactively, every answer still proven optimal.

``siteopt explore`` serves it as a local web app (:mod:`siteopt.explore.server`);
:func:`explorer` shows the same app inline in a Jupyter notebook. The state
(:mod:`~siteopt.explore.settings`, :mod:`~siteopt.explore.session`) is apart from the view
(:mod:`~siteopt.explore.controls`, :mod:`~siteopt.explore.views`, :mod:`~siteopt.explore.app`).
The top floor, beside the command line: it may import anything below, nothing imports it.
"""

from __future__ import annotations


def explorer(model=None, data=None):
    """The explorer inline in Jupyter (see :func:`siteopt.explore.app.explorer`)."""
    from siteopt.explore.app import explorer as inline

    return inline(model, data)
