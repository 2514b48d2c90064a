"""The command-line tools: `mlax-opt` (opt.py) and `mlax-compile` (driver.py, with its
argument specs in driver_specs.py, input loading in driver_inputs.py and errors in
driver_errors.py): argument parsing, diagnostics and exit codes over the library's entry
points (mlax.passes, mlax.stages, mlax.backends). mlax_opt.py and mlax_compile.py are the
console scripts."""
