"""Shared test configuration: the hypothesis profiles.

``ci`` (the default) runs few examples, derandomized and without the example
database, so that a CI run does not depend on luck and a failure reproduces;
``thorough`` (``HYPOTHESIS_PROFILE=thorough python -m pytest
tests/test_properties.py``) runs many random examples for local bug hunting
(``HYPOTHESIS_MAX_EXAMPLES=N`` changes how many: the classifiers' tests take
a few seconds per example).
"""

import os

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # hypothesis is a test extra; tests using it import it
    settings = None

if settings is not None:
    _SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large,
             HealthCheck.filter_too_much]
    settings.register_profile(
        "ci",
        max_examples=4,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=True,
        suppress_health_check=_SLOW,
    )
    settings.register_profile(
        "thorough",
        max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "150")),
        deadline=None,
        print_blob=True,
        suppress_health_check=_SLOW,
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
