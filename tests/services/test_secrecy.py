"""Every function of the core that holds a code marks it for Django's error reports."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import django_voiceotp.services

SECRET_NAMES = {"code", "salt", "token"}
"""What a code, its salt or a proof is called wherever one is held."""
SERVICES = django_voiceotp.services.__path__
MODULES = [
    "django_voiceotp.codes",
    *(info.name for info in pkgutil.iter_modules(SERVICES, "django_voiceotp.services.")),
]
WRAPPER = "sensitive_variables_wrapper"
MUTANT = "__mutmut_"
"""What mutmut's copies of a function are called (``x_check_code__mutmut_3``): under ``make mutation``
the module holds them beside the marked function, which calls them, and they are not its to mark."""


def holders(module_name: str):
    module = importlib.import_module(module_name)
    for name, value in vars(module).items():
        func = getattr(value, "__wrapped__", value)
        defined_here = inspect.isfunction(func) and func.__module__ == module_name
        if defined_here and MUTANT not in name and SECRET_NAMES & set(func.__code__.co_varnames):
            yield name, value


@pytest.mark.parametrize("module_name", MODULES)
def test_every_function_that_holds_a_code_is_marked_sensitive(module_name):
    unmarked = [name for name, value in holders(module_name) if value.__code__.co_name != WRAPPER]
    assert not unmarked, f"{module_name}: mark these with sensitive_variables: {unmarked}"
