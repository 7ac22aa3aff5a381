from django.db import models
from encrypted_fields.fields import EncryptedIntegerField


class EncryptedMoneyField(EncryptedIntegerField):
    """An amount in fen, encrypted at rest (household incomes and expenses).

    The library's EncryptedIntegerField stores every falsy value as NULL, so a household with no income
    would read back as None; here 0 is encrypted like any other amount and only None is NULL. The column
    is text, so it cannot be filtered, summed or CHECKed in SQL: services validate the range."""

    def get_prep_value(self, value):
        if value is None or value == "":
            return None
        value = models.IntegerField.get_prep_value(self, value)
        return self.f.encrypt(str(value).encode("utf-8")).decode("utf-8")
