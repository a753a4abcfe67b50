"""``python -m dsysedu.exercises student NOTEBOOK OUT_DIR``: write the student version of an exercise notebook."""
import sys
from pathlib import Path

from .notebooks import student_version


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 3 or argv[0] != "student":
        print("usage: python -m dsysedu.exercises student NOTEBOOK OUT_DIR", file=sys.stderr)
        return 2
    src = Path(argv[1])
    if not src.exists():
        print(f"error: no notebook at {src}", file=sys.stderr)
        return 2
    try:
        out = student_version(src, Path(argv[2]) / src.name)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


sys.exit(main())
