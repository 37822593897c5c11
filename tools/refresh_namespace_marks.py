"""Drop the xfail reason of every chain in tests/test_namespace.py that now resolves.

Run after a pending module lands (its chains start failing as strict XPASSes):
    python tools/refresh_namespace_marks.py
It rewrites `('clgrad.x.y', _PENDING_n),` to `('clgrad.x.y', None),` for resolving chains
and removes the _PENDING_n constants no chain uses any more.
"""
import pathlib
import re
import subprocess
import sys

PATH = pathlib.Path(__file__).resolve().parent.parent / "tests" / "test_namespace.py"
PENDING = r"(?:_PENDING_\d+)"
RESOLVE = ("import functools, sys\n{imports}\n"
           "for c in sys.argv[1:]:\n"
           "    try:\n"
           "        functools.reduce(getattr, c.split('.')[1:], clgrad)\n"
           "        print(c)\n"
           "    except AttributeError:\n"
           "        pass\n")


def main() -> None:
    text = PATH.read_text()
    pending = re.findall(r"^    \('([^']+)', " + PENDING + r"\),$", text, re.M)
    for imports, vision in (("import clgrad", False), ("import clgrad, clgrad.vision", True)):
        chains = [c for c in pending if c.startswith("clgrad.vision") == vision]
        if not chains:
            continue
        done = subprocess.run([sys.executable, "-c", RESOLVE.format(imports=imports), *chains],
                              capture_output=True, text=True, check=True).stdout.split()
        for chain in done:
            text = re.sub(r"^    \('" + re.escape(chain) + r"', " + PENDING + r"\),$",
                          f"    ('{chain}', None),", text, flags=re.M)
            print("now resolves:", chain)
    for name in re.findall(r"^(_PENDING_\d+) = ", text, re.M):
        if not re.search(r", " + name + r"\),$", text, re.M):
            text = re.sub(r"^" + name + r" = .*\n", "", text, flags=re.M)
    PATH.write_text(text)


if __name__ == "__main__":
    main()
