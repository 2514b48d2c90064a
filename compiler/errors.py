"""mlax.errors: JAX's error classes (`jax.errors`). mlax raises each where JAX does; all
derive from `mlax.MlaxError` as well as the builtin exception JAX's derive from."""
from mlax.core import (ConcretizationTypeError, JAXIndexError, JAXTypeError,  # noqa: F401
                       JaxRuntimeError, NonConcreteBooleanIndexError, TracerArrayConversionError,
                       TracerBoolConversionError, TracerIntegerConversionError,
                       UnexpectedTracerError)
from mlax import api_names as _api_names

__all__ = ["ConcretizationTypeError", "JAXIndexError", "JAXTypeError", "JaxRuntimeError",
           "NonConcreteBooleanIndexError", "TracerArrayConversionError",
           "TracerBoolConversionError", "TracerIntegerConversionError", "UnexpectedTracerError"]

__getattr__ = _api_names.module_getattr("jax.errors", __name__)
