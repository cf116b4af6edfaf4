"""The README's examples run as written and give the right derivatives."""
import re
from pathlib import Path

import numpy as np
import pytest

import srcad
from srcad.rules import registry

README = Path(__file__).resolve().parent.parent / "README.md"


def _blocks(section):
    text = README.read_text()
    start = text.index(f"## {section}")
    end = text.index("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end], flags=re.S)


@pytest.fixture
def extending_namespace(tmp_path, monkeypatch):
    """Run the Extending examples from a module file (srcad reads source),
    and remove the rules they register afterwards."""
    code = "import numpy as np\nimport srcad\n\n" + "\n".join(
        b for b in _blocks("Extending") if "scipy" not in b)
    path = tmp_path / "readme_extending.py"
    path.write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(registry.RULES)
    module = __import__("readme_extending")
    yield module
    for fn in set(registry.RULES) - before:
        registry.RULES.pop(fn)
    srcad.clear_cache()


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_primitive_example(extending_namespace, mode):
    softplus = extending_namespace.softplus
    x = np.array([-1.0, 0.5, 2.0])
    got = srcad.grad(lambda_free_sum(softplus), mode=mode)(x)
    np.testing.assert_allclose(got, 1 / (1 + np.exp(-x)))


def lambda_free_sum(fn):
    def total(x):
        return np.sum(fn(x))
    return total


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_template_rule_example(extending_namespace, mode):
    matvec = extending_namespace.my_matvec

    def loss(A, v):
        return np.sum(matvec(A, v) ** 2)
    A, v = np.arange(6.0).reshape(2, 3) / 7, np.array([0.3, -0.2, 0.5])
    gA, gv = srcad.grad(loss, wrt=(0, 1), mode=mode)(A, v)
    r = A @ v
    np.testing.assert_allclose(gA, 2 * np.outer(r, v))
    np.testing.assert_allclose(gv, 2 * A.T @ r)


def test_grad_of_a_primitive_uses_its_rule(extending_namespace):
    got = srcad.grad(extending_namespace.softplus)(0.3)
    assert abs(got - 1 / (1 + np.exp(-0.3))) < 1e-12


def test_scipy_example():
    special = pytest.importorskip("scipy.special")
    block = [b for b in _blocks("Extending") if "scipy" in b][0]
    before = set(registry.RULES)
    try:
        exec(block, {"srcad": srcad})
        assert registry.lookup(special.expit) is not None
    finally:
        for fn in set(registry.RULES) - before:
            registry.RULES.pop(fn)
        srcad.clear_cache()


def test_the_sigmoid_source_shown_is_what_srcad_show_prints():
    # the README's first example is the current generated code, not an old
    # one: `srcad show examples/sigmoid.py:sigmoid`
    import subprocess
    import sys
    shown = re.findall(r"```python\n(# srcad grad of sigmoid.*?)```",
                       README.read_text(), flags=re.S)[0]
    printed = subprocess.run(
        [sys.executable, "-m", "srcad", "show",
         str(README.parent / "examples" / "sigmoid.py") + ":sigmoid"],
        capture_output=True, text=True, check=True).stdout
    assert printed.strip() == shown.strip()
