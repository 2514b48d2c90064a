"""mlax.runtime: arrays and the execution of compiled code.

Nothing here imports the compiler: a compiled module can be loaded and run with this
package alone.
"""
from .array import Array, CpuDevice, CPU0, SingleDeviceSharding
from .cpu import CpuExecutable, runtime_libraries
from .aot import load, ModuleError

__all__ = ["Array", "CpuDevice", "CPU0", "SingleDeviceSharding", "CpuExecutable",
           "runtime_libraries", "load", "ModuleError"]
