"""`python -m seeds` loads the seed dataset, like `commonground seed`."""

from service.cli import main

main(["seed"])
