"""Django's Redis cache backend, with one redis-py client per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` for every cache call, and redis-py's constructor
fills a table of ~170 response callbacks each time: on the session read that every signed-in request
makes, that cost more CPU than the round trip to Redis. redis-py clients are safe to share between
threads (a connection is taken from the pool only while a command runs), so one per pool is enough."""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient  # Django sets its own client class per instance

    def validate_key(self, key):
        """Nothing to check: Django's base class warns about keys memcached would refuse (over 250
        characters, spaces, control characters), looking at every character of the key on every call —
        on the session read of each signed-in request, too. Redis takes any key."""
