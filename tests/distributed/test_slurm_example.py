"""The SLURM example of docs/guide/scaling.md, checked against dask-jobqueue.

No SLURM here: the test builds the example's ``SLURMCluster`` (which starts
only a local scheduler) and reads the batch script it would submit.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("dask_jobqueue", reason="dask-jobqueue is in the test extra")

PAGE = Path(__file__).resolve().parents[2] / "docs" / "guide" / "scaling.md"


def slurm_example() -> str:
    """The page's SLURM code block, up to the line that submits jobs."""
    text = PAGE.read_text(encoding="utf-8")
    block = text.split("% not run: needs a SLURM cluster", 1)[1]
    code = re.search(r"```python\n(.*?)```", block, re.S).group(1)
    return code.split("cluster.scale(", 1)[0]


def test_the_documented_workers_get_their_cpus_and_run_one_fit_at_a_time():
    namespace: dict = {}
    exec(slurm_example(), namespace)  # noqa: S102 - the page's own code
    cluster = namespace["cluster"]
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    cores = namespace["cores"]
    assert f"#SBATCH --cpus-per-task={cores}" in script
    assert "#SBATCH --mem=16G" in script
    worker = next(line for line in script.splitlines() if "dask_worker" in line)
    # the example's --nthreads comes after the one derived from `cores`: the
    # worker's command line takes the last one
    assert re.findall(r"--nthreads (\d+)", worker)[-1] == "1"
    assert "export DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False" in script
