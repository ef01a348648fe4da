"""SQL, one module per resource: a constant above the function that runs it."""
