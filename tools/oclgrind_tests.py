#!/usr/bin/env python3
"""Run the kernel tests on the Oclgrind OpenCL simulator and fail on anything it reports.

    python tools/oclgrind_tests.py [--limits=small|oclgrind] [--no-uninitialized]
                                   [pytest arguments]     (default: -m kernel tests)

Debian's `oclgrind` package ships an ICD library; a folder holding a one-line .icd file that
names it, given as OCL_ICD_VENDORS, shows pyopencl an "Oclgrind" platform, and
CLGRAD_CL_PLATFORM=oclgrind makes it clgrad's only device (cl:0). Oclgrind checks every
memory access against its buffer, detects data races and reads of uninitialised memory.
--limits=small (the default) emulates a small GPU's limits (256 work-items per group, 32 KiB
of local memory) so kernels that assume PoCL's generous ones fail here; --limits=oclgrind
keeps Oclgrind's own (1024 work-items). The run fails when pytest fails, when Oclgrind's log
(kernel errors) is not empty, or when it reports an OpenCL API misuse on stderr.

Two things Debian's Oclgrind 21.10 cannot simulate with OCLGRIND_UNINITIALIZED on, worked
around rather than left unchecked:
  - "Unsupported instruction: freeze" on the LLVM IR its compiler emits for an integer `/`
    and `%` of the same operands: the templates write `q = a / b; r = a - q * b` instead;
  - a crash (SIGSEGV) on arithmetic over OpenCL vector types (float8 += float8 * float8):
    GEMM's register blocks use them, so this run gives the Oclgrind device a GEMM parameter
    file (gemm_params, in a temporary CLGRAD_CACHE_DIR) with vector width 1.
--no-uninitialized turns the check off, and with it the GEMM parameter file.

The check also reports false positives once the pool has released buffers: a buffer created
in a released buffer's slot keeps the old one's initialised extent (release a 72-byte buffer,
create a 75-byte one, fill it in a kernel: reading bytes 72..74 is reported).
tests/test_kernel_templates.py runs clean with it; tox and .ci/run run the whole kernel test
set with --no-uninitialized.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ICD_LIBRARY = "liboclgrind-rt-icd.so"
# pyopencl asks every device for vendor-specific information (e.g. NVIDIA's compute
# capability) and handles the refusal; Oclgrind's API check reports each refusal.
BENIGN_API_ERRORS = {("clGetDeviceInfo", "CL_INVALID_VALUE", "param_name")}
API_ERROR_TITLE = "Oclgrind - OpenCL runtime error detected"
API_ERROR = re.compile(
    API_ERROR_TITLE + r"\s*\n"
    r"\s*Function:\s*(?P<function>\S+)\s*\n"
    r"\s*Error:\s*(?P<error>\S+)(?:\s*\n\s*For argument '(?P<argument>[^']*)')?")


def find_icd_library() -> str | None:
    """The path of Oclgrind's ICD library, from dpkg or the usual install folders."""
    if os.environ.get("OCLGRIND_ICD_LIBRARY"):
        return os.environ["OCLGRIND_ICD_LIBRARY"]
    if shutil.which("dpkg"):
        listing = subprocess.run(["dpkg", "-L", "oclgrind"], capture_output=True, text=True)
        for line in listing.stdout.splitlines():
            if line.endswith("/" + ICD_LIBRARY):
                return line.strip()
    for folder in ("/usr/lib/oclgrind", "/usr/local/lib", "/usr/lib", "/usr/lib64",
                   "/usr/lib/x86_64-linux-gnu", "/usr/local/lib/oclgrind"):
        candidate = Path(folder) / ICD_LIBRARY
        if candidate.is_file():
            return str(candidate)
    return None


def make_icd_folder(folder: Path, library: str) -> Path:
    """A folder for OCL_ICD_VENDORS whose only entry names Oclgrind's ICD library."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "oclgrind.icd").write_text(library + "\n")
    return folder


# A small GPU's limits (--limits=small); Oclgrind's own are 1024 work-items and 32 KiB.
SMALL_GPU_LIMITS = {"OCLGRIND_MAX_WGSIZE": "256", "OCLGRIND_LOCAL_MEM_SIZE": "32768"}


def oclgrind_env(icd_folder: Path, log_file: Path, uninitialized: bool = False,
                 small_limits: bool = True) -> dict:
    """The environment that runs clgrad's cl:0 on Oclgrind with its checks on."""
    env = dict(os.environ)
    env.update({
        "OCL_ICD_VENDORS": str(icd_folder),
        "CLGRAD_CL_PLATFORM": "oclgrind",
        "CLGRAD_TEST_DEVICES": "cl:0",
        "OCLGRIND_CHECK_API": "1",
        "OCLGRIND_DATA_RACES": "1",
        "OCLGRIND_LOG": str(log_file),
    })
    for name, value in SMALL_GPU_LIMITS.items():
        if small_limits:
            env[name] = value
        else:
            env.pop(name, None)
    if uninitialized:
        env["OCLGRIND_UNINITIALIZED"] = "1"
    else:
        env.pop("OCLGRIND_UNINITIALIZED", None)
    return env


# Run under the Oclgrind environment: writes the device's GEMM parameter file with vector
# width 1 (see the module docstring) into CLGRAD_CACHE_DIR, where clgrad reads it.
SCALAR_GEMM = """
from clgrad.backends.cl import gemm_params, runtime
caps = runtime.runtime(0).caps
table = gemm_params.DEFAULTS[gemm_params.family(caps)]
print(gemm_params.save(caps, {mode: dict(p, VW=1) for mode, p in table.items()}, {}))
"""


def write_scalar_gemm_params(env: dict, cache_dir: Path) -> None:
    """Point env's CLGRAD_CACHE_DIR at cache_dir, holding a vector-width-1 GEMM table."""
    env["CLGRAD_CACHE_DIR"] = str(cache_dir)
    env.pop("CLGRAD_GEMM_NO_CACHE", None)
    cache_dir.mkdir(parents=True, exist_ok=True)
    # From cache_dir: the installed clgrad, never a source tree in the working directory.
    subprocess.run([sys.executable, "-c", SCALAR_GEMM], env=env, cwd=cache_dir, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def api_errors(output: str) -> list[tuple[str, str, str | None]]:
    """The (function, error, argument) of each API misuse Oclgrind reported, less benign ones."""
    found = []
    for match in API_ERROR.finditer(output):
        key = (match["function"], match["error"], match["argument"])
        if key not in BENIGN_API_ERRORS:
            found.append(key)
    return found


def _blocks(lines):
    """The output line by line, except that each Oclgrind API report comes as one block
    (with the blank lines around it)."""
    block = blanks = ""
    for line in lines:
        if not line.strip():
            blanks += line
        elif line.startswith(API_ERROR_TITLE):
            if block:
                yield block
            block, blanks = blanks + line, ""
        elif block and line.startswith("\t"):
            block, blanks = block + blanks + line, ""
        else:
            if block:
                yield block + blanks
            elif blanks:
                yield blanks
            yield line
            block = blanks = ""
    if block or blanks:
        yield block + blanks


def pytest_command() -> list[str]:
    # The console script, not `python -m pytest`: the source tree must not shadow the package.
    script = Path(sys.executable).parent / "pytest"
    return [str(script) if script.exists() else (shutil.which("pytest") or "pytest")]


def main(argv: list[str]) -> int:
    uninitialized = "--no-uninitialized" not in argv
    limits = "small"
    args = []
    for a in argv:
        if a.startswith("--limits="):
            limits = a.split("=", 1)[1]
            if limits not in ("small", "oclgrind"):
                print(f"oclgrind_tests: --limits is small or oclgrind, not {limits!r}",
                      file=sys.stderr)
                return 2
        elif a not in ("--uninitialized", "--no-uninitialized"):
            args.append(a)
    args = args or ["-m", "kernel", "tests"]
    library = find_icd_library()
    if library is None:
        print(f"oclgrind_tests: Oclgrind's {ICD_LIBRARY} not found; install it with "
              "`apt-get install oclgrind` (or set OCLGRIND_ICD_LIBRARY)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="clgrad-oclgrind-") as tmp:
        icd = make_icd_folder(Path(tmp) / "icd", library)
        log = Path(tmp) / "oclgrind.log"
        env = oclgrind_env(icd, log, uninitialized, small_limits=limits == "small")
        if uninitialized:
            write_scalar_gemm_params(env, Path(tmp) / "cache")
        # --capture=sys: Oclgrind writes API errors straight to fd 2, where we read them.
        cmd = pytest_command() + ["--import-mode=importlib", "--capture=sys", *args]
        print(f"oclgrind_tests: {' '.join(cmd)}\n  OCL_ICD_VENDORS -> {library}; limits: "
              f"{limits}; uninitialised reads {'checked' if uninitialized else 'not checked'}",
              flush=True)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors="replace")
        errors = []
        for block in _blocks(proc.stdout):
            found = api_errors(block)
            if found or not block.lstrip().startswith(API_ERROR_TITLE):  # benign: quiet
                sys.stdout.write(block)
            errors += found
        code = proc.wait()
        report = log.read_text(errors="replace").strip() if log.exists() else ""
    failed = False
    if code != 0:
        print(f"oclgrind_tests: pytest exited with {code}"
              + (" (no test selected)" if code == 5 else ""), file=sys.stderr)
        failed = True
    if report:
        print("oclgrind_tests: Oclgrind reported errors in kernels:\n" + report, file=sys.stderr)
        failed = True
    if errors:
        print("oclgrind_tests: Oclgrind reported OpenCL API errors: "
              + "; ".join(f"{f}: {e} ({a})" for f, e, a in errors), file=sys.stderr)
        failed = True
    if not failed:
        print("oclgrind_tests: clean (pytest passed, Oclgrind reported nothing)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
