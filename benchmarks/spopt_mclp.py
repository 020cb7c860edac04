"""spopt's maximal covering model on a siteopt instance, timed end to end (benchmark env only).

    .venv-bench/bin/python benchmarks/spopt_mclp.py DATA_DIR RADIUS_KM P

Reads the instance the way a spopt user would (pandas), builds the dense point-by-site
great-circle distance matrix, then ``MCLP.from_cost_matrix(...).solve(CBC)``. Prints one JSON
line: seconds for read, matrix, build and solve, the total, and the covered population.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pandas as pd
import pulp
from spopt.locate import MCLP

EARTH_RADIUS_KM = 6371.0088


def main(directory: str, radius_km: float, p: int) -> None:
    start = time.perf_counter()
    sites = pd.read_csv(f"{directory}/sites.csv")
    demand = pd.read_csv(f"{directory}/demand.csv")
    read = time.perf_counter()
    lat1 = np.radians(demand["lat"].to_numpy())[:, None]
    lon1 = np.radians(demand["lon"].to_numpy())[:, None]
    lat2 = np.radians(sites["lat"].to_numpy())[None, :]
    lon2 = np.radians(sites["lon"].to_numpy())[None, :]
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    cost = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
    matrix = time.perf_counter()
    model = MCLP.from_cost_matrix(cost, demand["population"].to_numpy(dtype=float), radius_km,
                                  p_facilities=p, name="mclp")
    built = time.perf_counter()
    model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    solved = time.perf_counter()
    covered = float(pulp.value(model.problem.objective))
    print(json.dumps({"read": read - start, "matrix": matrix - read, "build": built - matrix,
                      "solve": solved - built, "total": solved - start, "covered": covered,
                      "status": pulp.LpStatus[model.problem.status]}))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]))
