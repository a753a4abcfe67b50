"""``python -m instructor extract MODULE... | freeze [EXERCISE_ID...] | verify`` (see :mod:`instructor`)."""
import sys

USAGE = "usage: python -m instructor extract MODULE... | freeze [EXERCISE_ID...] | verify"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in ("extract", "freeze", "verify") or (argv[0] == "extract" and len(argv) < 2):
        print(USAGE, file=sys.stderr)
        return 2
    command, args = argv[0], argv[1:]
    try:
        if command == "extract":
            from .extract import extract
            results = [extract(m) for m in args]
            for r in results:
                print(r)
            # the package module changed on disk: freeze in a fresh interpreter
            import subprocess
            ids = [i for r in results for i in r.references]
            return subprocess.call([sys.executable, "-m", "instructor", "freeze", *ids])
        from .freeze import freeze, frozen_differences, needs_answers
        if command == "freeze":
            from dsysedu.exercises import EXERCISES
            ids = args or None
            for path in freeze(ids):
                print(f"wrote {path}")
            skipped = [i for i in (ids or EXERCISES) if i in EXERCISES and not needs_answers(i)]
            if skipped:
                print(f"judged by accepts=/describe=, no answers to freeze: {', '.join(sorted(skipped))}")
            return 0
        problems = frozen_differences()
        for p in problems:
            print(p, file=sys.stderr)
        print("frozen answers agree with the references" if not problems else f"{len(problems)} problem(s)")
        return 1 if problems else 0
    except (ValueError, LookupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


sys.exit(main())
