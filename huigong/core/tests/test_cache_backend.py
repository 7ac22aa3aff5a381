"""huigong.core.cache.RedisCache: one client per pool, and no memcached key check per call."""

import warnings

import pytest
from django.core.cache import CacheKeyWarning
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from huigong.core.cache import RedisCache

LONG_KEY = "django.contrib.sessions.cached_db" + "x" * 300 + " with spaces"


def test_no_memcached_key_warning_and_keys_made_as_django_makes_them():
    ours = RedisCache("redis://127.0.0.1:6379/15", {"KEY_PREFIX": "hg"})
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        assert ours.make_and_validate_key(LONG_KEY) == ours.make_key(LONG_KEY) == f"hg:1:{LONG_KEY}"
        with pytest.warns(CacheKeyWarning):  # Django's own backend warns about the same key
            DjangoRedisCache("redis://127.0.0.1:6379/15", {"KEY_PREFIX": "hg"}).make_and_validate_key(LONG_KEY)


def test_one_client_per_pool():
    ours = RedisCache("redis://127.0.0.1:6379/15", {})
    assert ours._cache.get_client("a") is ours._cache.get_client("b")
