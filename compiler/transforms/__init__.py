"""mlax transforms: MLIR passes over the mlax dialect, each registered in mlax.passes."""
