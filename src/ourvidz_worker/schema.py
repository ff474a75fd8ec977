"""JSON Schemas of the job contract, generated from the pydantic models.

`python -m ourvidz_worker.schema` rewrites `schema/`; `--check` exits 1 when the checked-in
files are stale (the test suite runs the same comparison).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .contract import FailedResult, JobInput, JobResult

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"


def build_schemas() -> dict[str, dict]:
    result_schema = {
        "title": "OurVidz job output",
        "description": "A completed job's JobResult, or a FailedResult (top-level `error`).",
        "oneOf": [
            {"$ref": "#/$defs/JobResult"},
            {"$ref": "#/$defs/FailedResult"},
        ],
        "$defs": {},
    }
    for model in (JobResult, FailedResult):
        schema = model.model_json_schema()
        result_schema["$defs"].update(schema.pop("$defs", {}))
        result_schema["$defs"][model.__name__] = schema
    return {
        "job_input.schema.json": JobInput.model_json_schema(),
        "job_output.schema.json": result_schema,
    }


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if schema/ is stale")
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR)
    args = parser.parse_args(argv)
    stale = []
    for name, schema in build_schemas().items():
        path = args.dir / name
        text = render(schema)
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if stale:
        sys.stderr.write(f"stale schema: {', '.join(stale)}; run python -m ourvidz_worker.schema\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
