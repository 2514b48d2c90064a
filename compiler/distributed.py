"""mlax.distributed: a run over several processes (`jax.distributed`).

`initialize(coordinator_address, num_processes, process_id)` joins this process to PJRT's
distributed runtime before the tpu platform is first used (mlax.runtime.tpu): the
platform's devices are then every process's (`mlax.devices()`), `mlax.local_devices()`
this process's, and a mesh over all of them spans the processes. Each process runs the
same program; `device_put` of a host value puts this process's shards only, and XLA's
collectives cross the processes (gloo on the CPU stand-in). mlax adds no runtime of its
own: the coordinator, the key-value store and the collectives are PJRT's and XLA's."""
from __future__ import annotations

from mlax.runtime import tpu as _tpu

__all__ = ["initialize", "shutdown", "is_initialized"]


def initialize(coordinator_address: str | None = None, num_processes: int | None = None,
               process_id: int | None = None, local_device_ids=None, **_unused):
    """Join the run coordinated at `coordinator_address` ("host:port", served by process
    0) as process `process_id` of `num_processes`."""
    if coordinator_address is None or num_processes is None or process_id is None:
        raise ValueError("mlax.distributed.initialize needs coordinator_address, "
                         "num_processes and process_id (no cluster is detected automatically)")
    if not 0 <= process_id < num_processes:
        raise ValueError(f"process_id {process_id} is not in [0, {num_processes})")
    _tpu.initialize_distributed(coordinator_address, int(num_processes), int(process_id),
                                local_device_ids)


def shutdown():
    """Leave the distributed run."""
    _tpu.shutdown_distributed()


def is_initialized() -> bool:
    return _tpu.process_count() > 1 or _tpu.process_index() != 0
