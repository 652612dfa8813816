"""Shared fixtures: where the repository's test messages are, and the sip-lint command."""

import json
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]

OPTIONS = (
    b"OPTIONS sip:1500112@127.0.0.1 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
    b"From: <sip:agent@127.0.0.1>;tag=1\r\n"
    b"To: <sip:1500112@127.0.0.1>\r\n"
    b"Call-ID: abc\r\n"
    b"CSeq: 1 OPTIONS\r\n"
    b"Max-Forwards: 70\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def sip_messages() -> list[pathlib.Path]:
    """Every SIP message file the Rust tests use: the RFC torture tests and samples."""
    found = []
    for folder in ("sip/tests/torture", "sip/tests/messages"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in (".sip", ".dat"):
                found.append(path)
    return found


def command(name: str) -> list[str]:
    """How to run one of the workspace's commands: from SAMBUNG_BIN_DIR (the cargo target's
    debug folder, set by scripts/test), from PATH, or through cargo."""
    folder = os.environ.get("SAMBUNG_BIN_DIR")
    if folder:
        binary = pathlib.Path(folder) / name
        assert binary.is_file(), f"{binary} is missing: build the workspace first"
        return [str(binary)]
    found = shutil.which(name)
    return [found] if found else ["cargo", "run", "-q", "-p", name, "--"]


@pytest.fixture(scope="session")
def sip_lint():
    """Runs `sip-lint --json` on files."""

    def run(paths: list[pathlib.Path]) -> list[dict]:
        out = subprocess.run(
            command("sip-lint") + ["--json"] + [str(p) for p in paths],
            cwd=ROOT,
            capture_output=True,
            check=False,
        )
        assert out.returncode in (0, 1), out.stderr.decode()
        return [json.loads(line) for line in out.stdout.decode().splitlines()]

    return run
