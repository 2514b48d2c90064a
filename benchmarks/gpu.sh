#!/usr/bin/env bash
# The GPU checks in one command, on a machine with an NVIDIA GPU (within 10 minutes):
# the cuda backend's device tests (the kernel families, host control flow, sorts and scans
# on the device; saved modules; launch plans; every kernel assembled by ptxas for sm_80 /
# sm_90, tensor cores included), then the benchmark table with mlax on the cuda platform
# against jax.jit on jax's GPU backend (where jax has one). The interpret-mode numerics of
# the same file run in CI (README's test command). Where there is no GPU it says so and
# exits 0.
#
#   benchmarks/gpu.sh                 (PYTHON=path/to/python to choose the interpreter)
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}

why=$("$PY" -c "from mlax.runtime import cuda; print(cuda.device_reason() or '')") || {
    echo "benchmarks/gpu.sh: mlax does not import with $PY" >&2; exit 1; }
if [ -n "$why" ]; then
    echo "benchmarks/gpu.sh: nothing to run: $why"
    exit 0
fi

status=0
echo "== GPU tests (test/python/test_cuda_backend.py)"
timeout 360 "$PY" -m pytest -q -rs test/python/test_cuda_backend.py \
    -k "gpu or ptxas or assemble or tensor_cores or plan" || status=1
echo "== benchmarks/run.py --platform cuda"
timeout 220 "$PY" benchmarks/run.py --platform cuda || status=1
exit $status
