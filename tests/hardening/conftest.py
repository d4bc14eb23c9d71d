from tests.api.conftest import _clear_cache, client_for, make_key, write_api  # noqa: F401  (fixtures)
