"""The report's sensitivity bands in a second process, while the run writes its files.

The bands (:func:`geoai.pipeline._report.job_bands`: about 40 simulations per
preset) need only the job, the metros and the countries, and the files of a
run (rasters, GeoPackage, maps, QGIS project) need only the presets'
simulations; on a machine with two or more cores the two halves run side by
side. The second process is a plain ``python -m geoai.pipeline._background``
started with :mod:`subprocess`, not :mod:`multiprocessing`: a spawned worker
re-imports the caller's ``__main__``, which would run again a user's script
that calls :func:`geoai.run` without an ``if __name__ == "__main__":`` guard.

Inputs and results travel as pickles in a private temporary folder that
this process creates and removes; the child reads only that file.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoai.errors import GeoAIError

if TYPE_CHECKING:
    from collections.abc import Iterator

    import geopandas as gpd
    import pandas as pd

    from geoai.pipeline.job import Job

__all__ = ["BackgroundBands", "main"]

_INPUT, _OUTPUT, _ERRORS = "input.pickle", "output.pickle", "stderr.txt"


class BackgroundBands:
    """:func:`~geoai.pipeline._report.job_bands` of a job, computed in a child process.

    Parameters
    ----------
    job : geoai.pipeline.job.Job
        The run's job (local scheduler: the caller checks).
    metros : geopandas.GeoDataFrame
        The run's metros.
    countries : pandas.DataFrame
        The run's countries.

    Attributes
    ----------
    seconds : float
        Wall-clock time of the child, s (set by :meth:`result`).
    """

    def __init__(self, job: Job, metros: gpd.GeoDataFrame, countries: pd.DataFrame) -> None:
        self.seconds = 0.0
        self._began = time.perf_counter()
        self._folder = Path(tempfile.mkdtemp(prefix="geoai-bands-"))
        try:
            with (self._folder / _INPUT).open("wb") as fh:
                pickle.dump((job, metros, countries), fh, protocol=pickle.HIGHEST_PROTOCOL)
            with (self._folder / _ERRORS).open("wb") as errors:  # a file: no pipe to fill up
                self._child: subprocess.Popen[bytes] | None = subprocess.Popen(  # noqa: S603 - this interpreter, our own module
                    [
                        sys.executable,
                        "-P",  # not the working folder first: a user's numpy.py is not imported
                        "-m",
                        "geoai.pipeline._background",
                        str(self._folder),
                        str(os.getpid()),
                    ],
                    env=_child_env(),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=errors,
                )
        except BaseException:
            shutil.rmtree(self._folder, ignore_errors=True)
            raise

    def result(self) -> dict[str, pd.DataFrame] | None:
        """Wait for the child and return its bands (re-raising its error, if any).

        Returns
        -------
        dict or None
            ``{preset: bands table}``, as :func:`~geoai.pipeline._report.job_bands`.
        """
        child, self._child = self._child, None
        if child is None:
            raise GeoAIError("the background sensitivity bands were already collected.")
        try:
            child.wait()
            self.seconds = time.perf_counter() - self._began
            out = self._folder / _OUTPUT
            if not out.is_file():
                err = (self._folder / _ERRORS).read_text(encoding="utf-8", errors="replace")
                tail = err.strip().splitlines()[-1:] or ["no message"]
                raise GeoAIError(
                    f"the sensitivity bands' process stopped ({child.returncode}): {tail[0]}"
                )
            with out.open("rb") as fh:
                status, value = pickle.load(fh)  # noqa: S301 - written by our own child, in our private folder
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)
        if status == "error":
            raise value
        return value  # type: ignore[no-any-return]  # the child's job_bands result

    def cancel(self) -> None:
        """Stop the child, if still running, and remove the temporary folder."""
        child, self._child = self._child, None
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
        shutil.rmtree(self._folder, ignore_errors=True)


#: The environment variables that size the child's thread pools.
_THREAD_POOLS = ("NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _child_env() -> dict[str, str]:
    """Return the environment of the child: this one, able to import this very geoai.

    The child's ``sys.path`` is this interpreter's without the working folder
    (``-P``). When this geoai comes from a path the child inherits anyway
    (site-packages, an editable install, ``PYTHONPATH``), nothing is added;
    only a geoai found through the working folder or a script's folder is put
    on the child's ``PYTHONPATH``.

    The child and this process compute at the same time, so each gets half
    the cores for its thread pools (Numba, BLAS, OpenMP), or fewer if the
    environment already says so: two full pools on the same cores make every
    short parallel call wait for threads the other process has descheduled;
    and idle OpenMP threads sleep instead of spinning
    (:func:`geoai._scheduler.passive_waits`).
    """
    env = dict(os.environ)
    from geoai._scheduler import passive_waits, usable_cores

    passive_waits(env)
    half = max(1, usable_cores() // 2)
    for pool in _THREAD_POOLS:
        given = env.get(pool, "")
        env[pool] = str(min(int(given), half)) if given.isdigit() and int(given) > 0 else str(half)
    here = str(Path(__file__).resolve().parents[2])  # the folder holding geoai/
    inherited = {str(Path(p).resolve()) for p in sys.path[1:] if p}
    if here not in inherited:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
    return env


@contextlib.contextmanager
def _sweep_pool() -> Iterator[str]:
    """Size the child's sweeps to its share of the cores; yield the Dask scheduler's name.

    The share is what :func:`_child_env` gave the child's Numba pool. With one
    core, the runs go one batch after the other (``"sync"``): a second thread
    would only contend for the GIL with the first and with the parent, for
    about 30 % more CPU time (6.2 vs 8.1 CPU-s for the default bands, measured
    on two cores). Every run is the same whatever the batching
    (:func:`geoai.scenario.sweep`).
    """
    import dask

    share = os.environ.get("NUMBA_NUM_THREADS", "")
    cores = int(share) if share.isdigit() and int(share) > 0 else 1
    if cores == 1:
        yield "sync"
        return
    with dask.config.set(num_workers=cores):
        yield "threads"


def _watch_parent(folder: Path, parent: int) -> None:
    """Exit, removing ``folder``, as soon as the parent is gone (killed: no one else will)."""
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        shutil.rmtree(folder, ignore_errors=True)
        os._exit(1)

    threading.Thread(target=watch, name="geoai-parent-watch", daemon=True).start()


def _answer(folder: Path, status: str, value: Any) -> None:  # noqa: ANN401 - bands or an exception
    tmp = folder / f"{_OUTPUT}.tmp"
    with tmp.open("wb") as fh:
        pickle.dump((status, value), fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(folder / _OUTPUT)


def main(folder: str, parent: int | None = None) -> int:
    """Compute the bands of the pickled job in ``folder`` and pickle the answer beside it.

    Parameters
    ----------
    folder : str
        The private folder of :class:`BackgroundBands`.
    parent : int, optional
        The parent's process id: when the parent dies (killed), the child
        removes ``folder`` and exits instead of computing for no one.

    Returns
    -------
    int
        The exit status: 0 when an answer (bands or the error) was written.
    """
    from geoai.pipeline._report import job_bands

    where = Path(folder)
    if parent is not None:
        _watch_parent(where, parent)
    with (where / _INPUT).open("rb") as fh:
        job, metros, countries = pickle.load(fh)  # noqa: S301 - written by our parent, in its private folder
    try:
        with _sweep_pool() as scheduler:
            bands = job_bands(job, metros, countries, scheduler)
    except Exception as exc:  # noqa: BLE001 - every error goes back to the parent, which raises it
        try:
            _answer(where, "error", exc)
        except (pickle.PicklingError, TypeError, AttributeError):
            _answer(where, "error", GeoAIError(f"{type(exc).__name__}: {exc}"))
        return 0
    _answer(where, "ok", bands)
    return 0


if __name__ == "__main__":
    from geoai._scheduler import leave

    leave(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else None))
