"""mlax console scripts. Each is a thin wrapper around a `main` in the compiler."""
