"""Settings for the API benchmark only: the product settings plus a bare comparison view."""

from config.settings import *  # noqa: F401,F403

ROOT_URLCONF = "benchmarks.bench_urls"
DEBUG = False
