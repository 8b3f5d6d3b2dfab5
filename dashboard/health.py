"""Every fault of an artifacts folder at once, each with the command that repairs it.

``crnn_core.artifacts.load_recognizer`` stops at the first problem, which is right for loading
but leaves a user fixing one file per restart. ``check_artifacts`` looks at everything cheaply
(no Keras load): the folder, the manifest, each file it lists (present, sha256), the charset and
model config (parse, class count) and whether ``model.keras`` is a Keras archive. No Streamlit.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crnn_core.charset import Charset
from dashboard.text import REPO_ROOT

__all__ = [
    "MANIFEST_FILE",
    "MODEL_FILE",
    "REQUIRED_FILES",
    "Fault",
    "check_artifacts",
    "read_manifest",
    "repair_commands",
]

# The names crnn_core.artifacts uses (tests check they agree). Not imported from there: that
# module imports Keras (seconds), and every page checks the artifacts before it draws.
MODEL_FILE = "model.keras"
MANIFEST_FILE = "manifest.json"

REQUIRED_FILES = (MODEL_FILE, "charset.json", "model_config.json", MANIFEST_FILE)
EXPORT = "python -m crnn_core export --run-dir runs/NAME --out {out}"


@dataclass(frozen=True)
class Fault:
    """One problem: the ``file`` it concerns (relative to the folder), what is wrong, the fix."""

    file: str
    problem: str
    fix: str


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _fix(directory: Path, name: str | None) -> str:
    """``git checkout`` for the repository's own artifacts, else a re-export into the folder."""
    if directory.resolve() == (REPO_ROOT / "artifacts").resolve():
        return f"git checkout -- artifacts/{name or ''}"
    return EXPORT.format(out='"$CRNN_ARTIFACTS"')


def read_manifest(directory: Path) -> dict[str, Any] | None:
    """The manifest as a dict, or ``None`` if it is missing or unreadable (no Keras import)."""
    return _manifest(directory, [])


def _manifest(directory: Path, faults: list[Fault]) -> dict[str, Any] | None:
    path = directory / MANIFEST_FILE
    if not path.is_file():
        faults.append(Fault(MANIFEST_FILE, "is missing", _fix(directory, MANIFEST_FILE)))
        return None
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problem = f"is not valid JSON ({type(exc).__name__})"
        faults.append(Fault(MANIFEST_FILE, problem, _fix(directory, MANIFEST_FILE)))
        return None
    if not isinstance(manifest, dict):
        faults.append(Fault(MANIFEST_FILE, "is not a JSON object", _fix(directory, MANIFEST_FILE)))
        return None
    return manifest


def _content_faults(directory: Path, name: str) -> str | None:
    """What is wrong inside ``name`` (which exists), or ``None``."""
    path = directory / name
    try:
        if name == MODEL_FILE:
            if not zipfile.is_zipfile(path):
                return "is not a Keras archive (not a zip file)"
            with zipfile.ZipFile(path) as archive:
                if "config.json" not in archive.namelist():
                    return "is not a Keras archive (no config.json inside)"
        elif name == "charset.json":
            Charset.load(path)
        elif name == "model_config.json" and not isinstance(
            json.loads(path.read_text("utf-8")), dict
        ):
            return "is not a JSON object"
    except Exception as exc:  # any parse error is a fault to report, never a crash
        return f"cannot be read ({type(exc).__name__})"
    return None


def _class_mismatch(directory: Path) -> str | None:
    try:
        charset = Charset.load(directory / "charset.json")
        config = json.loads((directory / "model_config.json").read_text("utf-8"))
    except Exception:
        return None  # already reported as unreadable
    expected = config.get("num_classes") if isinstance(config, dict) else None
    if expected is not None and expected != charset.num_classes:
        return (
            f"charset.json has {charset.num_classes} classes but model_config.json "
            f"says {expected}: they belong to different models"
        )
    return None


def check_artifacts(directory: Path) -> list[Fault]:
    """All faults of the artifacts folder ``directory``, one per file and problem; ``[]`` if
    every file is present, matches the manifest's sha256 and parses."""
    if not directory.is_dir():
        return [Fault(".", "the artifacts folder does not exist", _fix(directory, None))]
    faults: list[Fault] = []
    manifest = _manifest(directory, faults)
    hashes = manifest.get("files", {}) if manifest else {}
    hashes = hashes if isinstance(hashes, dict) else {}
    names = list(dict.fromkeys([*REQUIRED_FILES[:-1], *hashes]))
    for name in names:
        path = directory / name
        fix = _fix(directory, name)
        if not path.is_file():
            faults.append(Fault(name, "is missing", fix))
            continue
        problem = _content_faults(directory, name)
        if problem:
            faults.append(Fault(name, problem, fix))
        expected = hashes.get(name)
        if expected and _sha256(path) != expected:
            faults.append(
                Fault(name, "differs from the manifest (sha256 mismatch: corrupt or modified)", fix)
            )
    mismatch = _class_mismatch(directory)
    if mismatch:
        faults.append(Fault("charset.json", mismatch, _fix(directory, None)))
    return faults


def repair_commands(faults: list[Fault]) -> list[str]:
    """The distinct commands that fix ``faults``; ``git checkout`` ones merged into one line."""
    checkouts = [f.fix.split(" -- ", 1)[1] for f in faults if f.fix.startswith("git checkout")]
    others = [f.fix for f in faults if not f.fix.startswith("git checkout")]
    commands = []
    if checkouts:
        targets = "artifacts/" if "artifacts/" in checkouts else " ".join(dict.fromkeys(checkouts))
        commands.append(f"git checkout -- {targets}")
    return commands + list(dict.fromkeys(others))
