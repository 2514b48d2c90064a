"""The command-line tools: `mlax-opt` (opt.py) and `mlax-compile` (driver.py): argument
parsing, diagnostics and exit codes over the library's entry points (mlax.passes, mlax.stages,
mlax.backends). mlax_opt.py and mlax_compile.py are the console scripts."""
