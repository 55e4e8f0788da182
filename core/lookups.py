"""Lookups Django lacks, used as expressions: `Model.objects.filter(Any(F("field"), values))`."""
import json

from django.core.exceptions import EmptyResultSet
from django.db.models import Lookup


class Any(Lookup):
    """`field = ANY(%s)` on PostgreSQL: the values travel as one array parameter, however many there
    are. `field__in` sends a placeholder each and prepares each value twice: with 100,000 values
    building and sending the query took 1.4 s, the look-up itself 0.25 s. On SQLite the values are
    one JSON array (`IN (SELECT value FROM json_each(%s))`): SQLite refuses more than 32,766
    parameters. The values are passed as they are: already of the field's type (ints, strings)."""

    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self):
        return list(self.rhs)

    def as_sql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", (*lhs_params, *self.rhs)

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", (*lhs_params, json.dumps(self.rhs))

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = self.rhs
        if all(type(value) is int for value in values):
            # Integers as one array literal: psycopg quotes a list element by element (0.1 s for 100,000).
            values = "{" + ",".join(map(str, values)) + "}"
        return f"{lhs} = ANY(%s::{self.lhs.output_field.cast_db_type(connection)}[])", (*lhs_params, values)
