"""The README's Python example runs as written."""

import re

from conftest import ROOT


def test_readme_python_example_runs():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Python", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README has a ### Python section with a python block"
    exec(compile(match.group(1), "README.md", "exec"), {})
