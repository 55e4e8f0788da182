"""Inserting many model objects at once: `copy_insert`, bulk_create by PostgreSQL `COPY`.

`bulk_create` prepares every value through its field (two or three calls each) and psycopg then
quotes them into the statement, on PostgreSQL as arrays element by element: for a РР feed batch
(six tables, ~70 values a row) that was half of the import's time. `COPY` takes the rows as they
are, and psycopg's C dumpers write them.
"""
import datetime as dt
from collections.abc import Sequence
from operator import attrgetter

from django.db import connections, models, router

# Below this many objects an INSERT … RETURNING is one statement where COPY needs two (the ids are
# drawn first), and the rows are too few for COPY's speed to matter.
COPY_FROM = 100

# Fields whose database value is the attribute as it is (their preparation only passes it on):
# read directly; so are aware datetimes and dates. Any other value (a naive datetime, which Django
# makes aware with a warning; JSON; fields of other apps) is prepared by Django as bulk_create would.
PLAIN_FIELDS = (models.AutoField, models.BigAutoField, models.BigIntegerField, models.BooleanField,
                models.CharField, models.EmailField, models.ForeignKey, models.IntegerField,
                models.OneToOneField, models.PositiveIntegerField, models.PositiveSmallIntegerField,
                models.SmallIntegerField, models.TextField, models.URLField)


def copy_insert(objs: Sequence[models.Model]) -> Sequence[models.Model]:
    """Insert the unsaved `objs` (all of one model, no multi-table inheritance) as bulk_create
    would: related objects saved meanwhile are picked up, defaults and `auto_now` applied, each
    object gets its primary key (drawn from the table's sequence beforehand, in one query) and
    is marked saved. No signals, like bulk_create. Elsewhere than on PostgreSQL, and for fewer than
    COPY_FROM objects, it is bulk_create."""
    if not objs:
        return objs
    model = type(objs[0])
    using = router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql" or len(objs) < COPY_FROM:
        return model._base_manager.using(using).bulk_create(objs)
    meta = model._meta
    for obj in objs:  # a related object created since (a citizen's user): take its primary key
        obj._prepare_related_fields_for_save(operation_name="copy_insert")
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        unnumbered = [obj for obj in objs if obj.pk is None]
        if unnumbered:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [meta.db_table, meta.pk.column, len(unnumbered)])
            for obj, (pk,) in zip(unnumbered, cursor.fetchall(), strict=True):
                obj.pk = pk
        readers = [_reader(field, connection) for field in meta.concrete_fields]
        columns = ", ".join(connection.ops.quote_name(field.column) for field in meta.concrete_fields)
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([read(obj) for read in readers])
    for obj in objs:
        obj._state.adding, obj._state.db = False, using
    return objs


def _reader(field: models.Field, connection):
    """How to read `field`'s database value from an object."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)
    if type(field) in PLAIN_FIELDS:
        return attrgetter(field.attname)
    get = attrgetter(field.attname)
    prepare = field.get_db_prep_save
    if type(field) in (models.DateTimeField, models.DateField):
        kind = dt.datetime if type(field) is models.DateTimeField else dt.date

        def read(obj):  # an aware moment or a date is stored as it is; anything else Django checks
            value = get(obj)
            if value is None or (type(value) is kind and (kind is dt.date or value.tzinfo is not None)):
                return value
            return prepare(value, connection)

        return read
    return lambda obj: prepare(get(obj), connection)
