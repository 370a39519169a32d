"""Stage drivers: reading inputs, running stages over a sandbox pool, writing outputs."""
