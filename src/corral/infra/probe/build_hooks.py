# Runs inside a throwaway build env (Python 3.6+), with the project folder as working directory: calls one
# PEP 517 hook of the project's build backend and writes the answer as JSON to the file named last on the
# command line (the backend may print to stdout: setuptools does).
#   build_hooks.py requires BACKEND BACKEND_PATH_JSON OUT_JSON       -> get_requires_for_build_wheel({})
#   build_hooks.py metadata BACKEND BACKEND_PATH_JSON DIR OUT_JSON   -> prepare_metadata_for_build_wheel(DIR, {})
import importlib
import json
import os
import sys
import zipfile
from typing import Any, List


def _backend(spec: str, paths: List[str]) -> Any:
    for path in reversed(paths):
        sys.path.insert(0, os.path.abspath(path))
    module_name, _, attrs = spec.partition(":")
    obj = importlib.import_module(module_name.strip())  # type: Any
    for attr in filter(None, attrs.strip().split(".")):
        obj = getattr(obj, attr)
    return obj


def _metadata(backend: Any, folder: str) -> str:
    hook = getattr(backend, "prepare_metadata_for_build_wheel", None)
    if hook is not None:
        return str(hook(folder, {}))
    wheel = os.path.join(folder, backend.build_wheel(folder, {}))  # no metadata hook: PEP 517's fallback
    with zipfile.ZipFile(wheel) as archive:
        name = next(n.split("/")[0] for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        archive.extractall(folder, [n for n in archive.namelist() if n.startswith(name + "/")])
    return name


def main() -> int:
    phase, spec, paths = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    out = sys.argv[-1]  # read first: setuptools' hooks rewrite sys.argv (they run `egg_info` / `dist_info`)
    backend = _backend(spec, paths)
    if phase == "requires":
        hook = getattr(backend, "get_requires_for_build_wheel", None)
        answer = list(hook({})) if hook is not None else []  # type: Any
    else:
        answer = _metadata(backend, sys.argv[4])
    with open(out, "w") as handle:
        json.dump(answer, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
