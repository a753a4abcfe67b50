"""The exercises' command line.

``python -m dsysedu.exercises student NOTEBOOK OUT_DIR``
    write the student version of an exercise notebook;
``python -m dsysedu.exercises nbgrader-metadata NOTEBOOK...``
    write the nbgrader cell metadata (solution, autograded test and read-only cells) into each notebook.
"""
import sys
from pathlib import Path

USAGE = ("usage: python -m dsysedu.exercises student NOTEBOOK OUT_DIR\n"
         "       python -m dsysedu.exercises nbgrader-metadata NOTEBOOK...")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["nbgrader-metadata"] and len(argv) > 1:
        from .grading import write_nbgrader_metadata
        status = 0
        for name in argv[1:]:
            path = Path(name)
            try:
                changed = write_nbgrader_metadata(path)
            except (ValueError, OSError) as exc:
                print(f"error: {path}: {exc}", file=sys.stderr)
                status = 2
                continue
            print(f"{'wrote' if changed else 'unchanged'} {path}")
        return status
    if len(argv) != 3 or argv[0] != "student":
        print(USAGE, file=sys.stderr)
        return 2
    from .notebooks import student_version
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
