"""Test programs written to real files: srcgrad reads a function's source with inspect."""

from __future__ import annotations

import importlib.util
import itertools
import sys

_ids = itertools.count()


def load(tmp_path, source: str, name: str = "f"):
    """Write ``source`` (NumPy imported as np) to a fresh module file, import it and
    return its function ``name``."""
    modname = f"_srcgrad_test_module_{next(_ids)}"
    path = tmp_path / f"{modname}.py"
    path.write_text("import numpy as np\n\n\n" + source)
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    spec.loader.exec_module(module)
    return getattr(module, name)
