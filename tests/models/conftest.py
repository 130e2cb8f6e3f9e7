import pytest

from specauth._lazy import import_keras


@pytest.fixture(scope="session")
def keras():
    return import_keras()
