from tests.helpers.engines import any_db, postgres_server, postgres_url  # noqa: F401
