"""The demo workspace `make run` seeds, connected to the Meta sandbox."""
