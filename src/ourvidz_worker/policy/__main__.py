"""`python -m ourvidz_worker.policy --evaluate CORPUS.jsonl`: the evaluation CLI (see `evaluation.py`)."""

import sys

from .evaluation import main

if __name__ == "__main__":
    sys.exit(main())
