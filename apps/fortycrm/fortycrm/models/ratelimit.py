from __future__ import annotations

from django.db import models

from fortycrm.ranges import big_integer, positive_integer


class RateCounter(models.Model):
    """Requests of one client (``key``) in one time window, for rate limits without Redis.

    Rows are shared by every process using the database (gunicorn workers, several web
    nodes); ``fortycrm.ratelimit`` increments them with one atomic UPDATE and deletes rows
    whose ``expires`` (Unix time) has passed.
    """

    key = models.CharField(max_length=200)
    window = models.BigIntegerField(validators=big_integer())
    count = models.PositiveIntegerField(default=0, validators=positive_integer())
    expires = models.BigIntegerField(db_index=True, validators=big_integer())

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="fortycrm_ratecounter_key_window")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window}: {self.count}"
