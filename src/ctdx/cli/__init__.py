"""Typer commands: thin adapters that parse arguments, call one library function and render its result."""
