"""The `wallie` sub-commands, one module per group; heavy imports stay inside commands."""
