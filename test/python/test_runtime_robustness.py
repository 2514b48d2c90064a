"""The runtime's trust in what it loads and keeps: compiled-module metadata checked
against the library, clear errors for malformed modules and settings."""
import json
import shutil

import numpy as np
import pytest

import mlax
from mlax import numpy as jnp
from mlax import stages
from mlax.runtime import aot
from child import run_case

F32 = np.float32


# ---------------------------------------------------------------------------------------
# Compiled-module metadata: every field that decides how much memory a call reads or
# writes is checked against the library, every field `load` reads is checked for form.

@pytest.fixture(scope="module")
def module_dir(tmp_path_factory):
    """A module with two entries: double(float32[4,3]) -> float32[4,3] and
    total(float32[4,3], float32[3]) -> (float32[], float32[3])."""
    x = np.ones((4, 3), F32)
    double = mlax.jit(lambda x: x * 2).lower(x).compile()
    total = mlax.jit(lambda x, v: (jnp.sum(x), v + 1)).lower(x, np.ones(3, F32)).compile()
    path = tmp_path_factory.mktemp("mod") / "m"
    stages.save_module(path, {"double": double, "total": total})
    return path


def _edit(src, dst, edit):
    shutil.copytree(src, dst)
    meta = json.loads((dst / aot.METADATA).read_text())
    edit(meta)
    (dst / aot.METADATA).write_text(json.dumps(meta))
    return dst


# Load the edited module and call each entry with arrays of the (edited) metadata's
# shapes: before the checks, an edited output shape made the call write past its buffer.
_LOAD_AND_CALL = '''
import sys
import numpy as np
from mlax.runtime import aot
try:
    m = aot.load(sys.argv[1])
    for name, e in m.entries.items():
        e.flat([np.ones(leaf.shape, leaf.dtype) for leaf in e.inputs])
except aot.ModuleError as err:
    print("ModuleError:", err)
else:
    print("loaded and called")
'''


def _e(meta, name):
    return meta["entries"][name]


def _drop_output(meta):
    e = _e(meta, "total")
    e["outputs"].pop()
    e["out_tree"] = "*"


def _add_input(meta):
    e = _e(meta, "double")
    e["inputs"].append({"shape": [4, 3], "dtype": "float32", "weak": False})
    e["in_tree"]["tuple"][0]["list"].append("*")


TAMPERS = {
    "output shape": (lambda m: _e(m, "double")["outputs"][0].update(shape=[400, 300]),
                     "entries.double.outputs[0].shape"),
    "output dtype": (lambda m: _e(m, "double")["outputs"][0].update(dtype="float64"),
                     "entries.double.outputs[0].dtype"),
    "output rank": (lambda m: _e(m, "total")["outputs"][0].update(shape=[3]),
                    "entries.total.outputs[0].shape"),
    "input shape": (lambda m: _e(m, "double")["inputs"][0].update(shape=[2, 3]),
                    "entries.double.inputs[0].shape"),
    "input dtype": (lambda m: _e(m, "total")["inputs"][1].update(dtype="int8"),
                    "entries.total.inputs[1].dtype"),
    "output count": (_drop_output, "entries.total.outputs"),
    "input count": (_add_input, "entries.double.inputs"),
    "symbol of the other entry": (lambda m: _e(m, "double").update(symbol=_e(m, "total")["symbol"]),
                                  "entries.double.inputs"),
    "symbol outside the module": (lambda m: _e(m, "double").update(symbol="free"),
                                  "entries.double.symbol"),
    "leaf count of out_tree": (lambda m: _e(m, "double").update(out_tree={"tuple": ["*", "*"]}),
                               "entries.double.out_tree"),
    "unknown dtype": (lambda m: _e(m, "double")["outputs"][0].update(dtype="object"),
                      "entries.double.outputs[0].dtype"),
    "negative dimension": (lambda m: _e(m, "double")["inputs"][0].update(shape=[-4, 3]),
                           "entries.double.inputs[0].shape"),
    "library path": (lambda m: m.update(library="../m/libm.so"), "library"),
    "checksum of the library dropped": (lambda m: m.update(files={}), "files"),
}


@pytest.mark.parametrize("case", sorted(TAMPERS))
def test_edited_metadata_is_caught(module_dir, tmp_path, case):
    """Tests that an edited metadata field that sizes a call's buffers (or names its code)
    is an error naming the field, never a call that overruns memory."""
    edit, field = TAMPERS[case]
    edited = _edit(module_dir, tmp_path / "m", edit)
    out = run_case(_LOAD_AND_CALL, args=[str(edited)]).stdout
    assert out.startswith("ModuleError:"), out
    assert f"field '{field}'" in out and "mlax_module.json" in out, out


def test_unedited_module_loads_and_runs(module_dir, tmp_path):
    """Tests the control case of the tamper tests: the module as written loads and runs."""
    out = run_case(_LOAD_AND_CALL, args=[str(module_dir)]).stdout
    assert out.strip() == "loaded and called"
    m = aot.load(module_dir)
    x = np.arange(12, dtype=F32).reshape(4, 3)
    np.testing.assert_array_equal(m.double(x), x * 2)


def test_edited_cache_entry_is_recompiled(tmp_path):
    """Tests that a persistent-cache entry whose metadata was edited (an output shape) is
    discarded and recompiled, not run."""
    code = '''
import glob, json, os, sys
import numpy as np
import mlax
from mlax import cache
f = mlax.jit(lambda x: x * 3)
x = np.arange(6, dtype=np.float32)
if sys.argv[1] == "edit":
    f(x)
    [meta_path] = glob.glob(os.path.join(cache.directory(), "*", "mlax_module.json"))
    meta = json.load(open(meta_path))
    [entry] = meta["entries"].values()
    entry["outputs"][0]["shape"] = [6000]
    json.dump(meta, open(meta_path, "w"))
else:
    np.testing.assert_array_equal(f(x), x * 3)
    print(cache.stats["corrupt"], cache.stats["writes"])
'''
    env = {"MLAX_COMPILATION_CACHE_DIR": str(tmp_path / "cache")}
    run_case(code, env=env, args=["edit"])
    assert run_case(code, env=env, args=["use"]).stdout.split() == ["1", "1"]
