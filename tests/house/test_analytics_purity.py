"""analytics/ never imports Django: every module imports with Django made unimportable."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import bankcrm.analytics


def test_every_analytics_module_imports_without_django():
    names = [m.name for m in pkgutil.iter_modules(bankcrm.analytics.__path__)]
    assert names, "no analytics modules found"
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'django' or name.startswith('django.'):\n"
        "            raise ImportError('analytics must not import ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        + "".join(f"import bankcrm.analytics.{n}\n" for n in names)
        + "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
