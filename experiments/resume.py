"""What ``--resume`` finds in a job directory: a job to continue, or one already finished.

A job writes ``output/data/evaluation.json`` last (both kinds), so its presence, without a failure,
means the job finished; the runner packs the archives after that, so archives older than it were
packed by an earlier, interrupted run (or packing was itself interrupted) and are packed again.
"""

from __future__ import annotations

from contract import ContainerPaths


def finished(paths: ContainerPaths) -> bool:
    """Whether the job in ``paths`` ran to its end (a resume must not train it again)."""
    return paths.evaluation_file.is_file() and not paths.failure_file.exists()


def packed(paths: ContainerPaths) -> bool:
    """Whether both archives exist and were packed after the job finished."""
    finished_at = paths.evaluation_file.stat().st_mtime_ns
    archives = (paths.model_archive, paths.output_archive)
    return all(a.is_file() and a.stat().st_mtime_ns >= finished_at for a in archives)
