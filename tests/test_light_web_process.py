"""A web process stays light: serving pages and the API's reads loads no DSP (numpy, scipy, pyworld, librosa,
onnxruntime, PyAV). They are imported inside the functions that decode or render, which run on the worker
(and, for an upload, in the request that decodes it)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

HEAVY = ("numpy", "scipy", "pyworld", "librosa", "onnxruntime", "av")

PROBE = textwrap.dedent("""
    import importlib, json, pkgutil, sys
    import django
    django.setup()
    from django.conf import settings
    from django.template import engines
    from django.urls import get_resolver

    import personastudio
    importlib.import_module(settings.ROOT_URLCONF)
    get_resolver().url_patterns  # every app's urls and views
    for module in pkgutil.walk_packages(personastudio.__path__, "personastudio."):
        if module.name.rsplit(".", 1)[-1] in ("views", "urls", "selectors", "forms", "models"):
            importlib.import_module(module.name)
    engines["django"].engine.template_libraries  # every template tag library
    importlib.import_module("personastudio.wsgi")
    print(json.dumps(sorted(name for name in {heavy!r} if name in sys.modules)))
""")


def test_loading_the_web_app_imports_no_dsp_library():
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "personastudio.settings"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]", f"loaded at start: {done.stdout}"
