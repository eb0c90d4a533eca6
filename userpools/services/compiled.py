"""SQL of the hot paths made once per process: :class:`CompiledQuery` (SELECTs and
UPDATEs built from querysets) and :class:`CompiledInsert` with :func:`rows_insert`
(INSERTs of model rows, several in one statement on PostgreSQL)."""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from django.db import connections, models, router, transaction
from django.db.models import sql
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
from django.db.transaction import TransactionManagementError
from django.utils import timezone


class CompiledQuery:
    """A query on the sign-in hot path, compiled to SQL once per thread and database.

    Building a queryset and compiling it is most of what a query costs the ORM, the same
    work on every request (measured: benchmarks/README.md, Performance mechanisms).
    ``build(**args)`` makes the queryset (or, with ``update``, ``(queryset, {field: value})``
    for an UPDATE); it is called once with a sample value per argument, and the samples
    are found among the compiled parameters. A call then only prepares its values as
    the ORM would (each argument's ``field``), runs the SQL, and builds rows as the
    queryset's iterable would: model instances with their ``select_related`` objects and
    annotations, or ``values_list`` tuples, through the fields' converters. Queries,
    their counts and ``django_assert_num_queries`` see nothing different.

    Only what the hot paths use is supported (exact-match arguments; no prefetching, no
    ``values()``); compiling anything else fails loudly at the first call. The state is
    per thread because converters may be bound to the thread's connection.
    """

    def __init__(self, build: Callable[..., Any], *, update: bool = False, **args: Any) -> None:
        self.build, self.update, self.args = build, update, args
        self._local = threading.local()

    @staticmethod
    def _sample(field: Any, index: int) -> Any:
        kind = getattr(field, "target_field", field).get_internal_type()
        if kind == "UUIDField":
            return uuid.uuid4()
        if kind in (
            "AutoField",
            "BigAutoField",
            "IntegerField",
            "BigIntegerField",
            "PositiveIntegerField",
            "SmallIntegerField",
            "PositiveSmallIntegerField",
        ):
            return 7_000_000_000_000 + secrets.randbelow(10**9) * 100 + index
        if kind == "DateTimeField":
            return datetime(2001, 2, 3, 4, 5, 6, secrets.randbelow(10**5) * 10 + index, tzinfo=UTC)
        if kind in ("CharField", "TextField"):
            return f"compiled-{index}-{secrets.token_hex(8)}"
        raise TypeError(f"CompiledQuery: no sample for a {kind} argument")

    def _compile(self) -> dict[str, Any]:
        samples = {name: self._sample(field, i) for i, (name, field) in enumerate(self.args.items())}
        built = self.build(**samples)
        if self.update:
            queryset, values = built
            query = queryset.query.chain(sql.UpdateQuery)
            query.add_update_values(values)
            db = router.db_for_write(queryset.model)
            compiler = query.get_compiler(db)
            compiler.pre_sql_setup()
            if query.related_updates:
                raise TypeError("CompiledQuery: an UPDATE of related models is not supported")
        else:
            queryset = built
            if queryset._prefetch_related_lookups or queryset._iterable_class not in (
                ModelIterable,
                ValuesListIterable,
            ):
                raise TypeError("CompiledQuery: only model and values_list querysets, without prefetching")
            db = queryset.db
            compiler = queryset.query.get_compiler(db)
        connection = connections[db]
        sql_text, params = compiler.as_sql()
        slots = []
        for name, field in self.args.items():
            forms = {
                "value": field.get_db_prep_value(samples[name], connection, prepared=False),
                "save": field.get_db_prep_save(samples[name], connection),
            }
            positions = [
                (i, next(how for how, v in forms.items() if type(p) is type(v) and p == v))
                for i, p in enumerate(params)
                if any(type(p) is type(v) and p == v for v in forms.values())
            ]
            if not positions:
                raise TypeError(f"CompiledQuery: argument {name!r} does not reach the SQL as it was given")
            slots.append((name, field, positions))
        state: dict[str, Any] = {
            "db": db,
            "sql": sql_text,
            "params": list(params),
            "slots": slots,
            # As the ORM: select_for_update is ignored where the backend has none.
            "for_update": bool(getattr(compiler.query, "select_for_update", False))
            and connection.features.has_select_for_update,
        }
        if self.update:
            return state
        select = compiler.select
        fields = [s[0] for s in select[: compiler.col_count]]
        state["converters"] = [(pos, convs, expr) for pos, (convs, expr) in compiler.get_converters(fields).items()]
        if queryset._iterable_class is ValuesListIterable:
            names = [*compiler.query.extra_select, *compiler.query.values_select, *compiler.query.annotation_select]
            if list(queryset._fields or names) != names:
                raise TypeError("CompiledQuery: values_list must name its columns in select order")
            state["model"] = None
            return state
        klass_info = compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        state.update(
            model=klass_info["model"],
            start=start,
            end=end,
            init_list=[f[0].target.attname for f in select[start:end]],
            related=get_related_populators(klass_info, select, db),
            annotations=list(compiler.annotation_col_map.items()),
        )
        return state

    def _state(self) -> dict[str, Any]:
        state = getattr(self._local, "state", None)
        if state is None:
            state = self._local.state = self._compile()
        return state

    def _execute(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], Any, Any]:
        state = self._state()
        connection = connections[state["db"]]
        if state["for_update"] and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = list(state["params"])
        for name, field, positions in state["slots"]:
            value = values[name]
            prepared = {"value": None, "save": None}
            for i, how in positions:
                if prepared[how] is None:
                    prepared[how] = (
                        field.get_db_prep_value(value, connection, prepared=False)
                        if how == "value"
                        else field.get_db_prep_save(value, connection),
                    )
                params[i] = prepared[how][0]
        return state, connection, params

    def rows(self, **values: Any) -> list[Any]:
        """The query's rows: model instances, or tuples for a ``values_list`` queryset."""
        state, connection, params = self._execute(values)
        with connection.cursor() as cursor:
            cursor.execute(state["sql"], params)
            rows = cursor.fetchall()
        converters = state["converters"]
        if converters:
            rows = [list(row) for row in rows]
            for row in rows:
                for pos, convs, expression in converters:
                    value = row[pos]
                    for converter in convs:
                        value = converter(value, expression, connection)
                    row[pos] = value
        model = state["model"]
        if model is None:
            return [tuple(row) for row in rows]
        out = []
        start, end, init_list, db = state["start"], state["end"], state["init_list"], state["db"]
        for row in rows:
            obj = model.from_db(db, init_list, row[start:end])
            for populator in state["related"]:
                populator.populate(row, obj)
            for attr, pos in state["annotations"]:
                setattr(obj, attr, row[pos])
            out.append(obj)
        return out

    def first(self, **values: Any) -> Any:
        found = self.rows(**values)
        return found[0] if found else None

    def execute(self, **values: Any) -> int:
        """Run a compiled UPDATE; the number of rows it changed (as ``QuerySet.update``: an
        error marks the enclosing atomic block for rollback)."""
        state, connection, params = self._execute(values)
        with transaction.mark_for_rollback_on_error(using=state["db"]), connection.cursor() as cursor:
            cursor.execute(state["sql"], params)
            return cursor.rowcount


class CompiledInsert:
    """The INSERT of one ``model`` row, its SQL made once: every concrete field but the
    automatic primary key, each value prepared as the ORM's ``save`` prepares it. A row's
    ``values`` name fields by name (a related object, or None) or attname (its key); a field
    not named takes its default (``auto_now_add`` and ``auto_now``: now). No model signals
    are sent: use it only for models with no receivers (the audit log, refresh tokens).
    On a sign-in (its refresh token and audit event) that replaced two ``objects.create``
    calls in a transaction -- four round trips -- by one statement (measured:
    benchmarks/README.md, Performance mechanisms)."""

    def __init__(self, model: type[models.Model]) -> None:
        opts = model._meta
        if not isinstance(opts.pk, models.AutoField | models.BigAutoField | models.SmallAutoField):
            raise TypeError(f"CompiledInsert: {model.__name__}'s primary key is not automatic")
        self.model = model
        self.fields = [f for f in opts.concrete_fields if f is not opts.pk]
        if any(hasattr(f, "get_placeholder") for f in self.fields):
            raise TypeError(f"CompiledInsert: {model.__name__} has a field with its own placeholder")
        self._known = {f.name for f in self.fields} | {f.attname for f in self.fields}
        self._sql: dict[tuple[str, bool], str] = {}

    def sql(self, connection: Any) -> str:
        """``INSERT INTO table (columns) VALUES (%s, ...)``, with ``RETURNING pk`` where the
        database has it (PostgreSQL; SQLite from 3.35)."""
        key = (connection.vendor, connection.features.can_return_columns_from_insert)
        text = self._sql.get(key)
        if text is None:
            qn, opts = connection.ops.quote_name, self.model._meta
            text = (
                f"INSERT INTO {qn(opts.db_table)} ({', '.join(qn(f.column) for f in self.fields)}) "
                f"VALUES ({', '.join(['%s'] * len(self.fields))})"
            )
            if key[1]:
                text += f" RETURNING {qn(opts.pk.column)}"
            text = self._sql[key] = text
        return text

    def run(self, cursor: Any, connection: Any, params: list[Any]) -> Any:
        """Insert the row ``params`` prepared (:meth:`params`); its primary key."""
        cursor.execute(self.sql(connection), params)
        if connection.features.can_return_columns_from_insert:
            return cursor.fetchone()[0]
        opts = self.model._meta
        return connection.ops.last_insert_id(cursor, opts.db_table, opts.pk.column)

    def params(self, values: Mapping[str, Any], connection: Any, now: datetime) -> list[Any]:
        unknown = set(values) - self._known
        if unknown:
            raise TypeError(f"CompiledInsert: {self.model.__name__} has no field {sorted(unknown)[0]!r}")
        out = []
        for field in self.fields:
            if field.attname in values:
                value = values[field.attname]
            elif field.name in values:
                value = values[field.name]
                if isinstance(value, models.Model):
                    value = getattr(value, field.target_field.attname)
            elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = now
            else:
                value = field.get_default()
            out.append(field.get_db_prep_save(value, connection))
        return out


def rows_insert(*rows: tuple[CompiledInsert, Mapping[str, Any]], using: str | None = None) -> list[Any]:
    """Insert ``rows`` (each a :class:`CompiledInsert` and its values) atomically and in
    order; their primary keys. On PostgreSQL one statement (each INSERT a data-modifying
    WITH query, run once and to completion), so one round trip and no transaction of its
    own; elsewhere one INSERT each, in a transaction when there are several."""
    if not rows:
        return []
    alias = using or router.db_for_write(rows[0][0].model)
    connection = connections[alias]
    now = timezone.now()
    params = [p for insert, values in rows for p in insert.params(values, connection, now)]
    with transaction.mark_for_rollback_on_error(using=alias):
        if connection.vendor == "postgresql" and len(rows) > 1:
            names = [f"row{i}" for i in range(len(rows))]
            text = (
                "WITH "
                + ", ".join(
                    f"{name} AS ({insert.sql(connection)})" for name, (insert, _) in zip(names, rows, strict=True)
                )
                + " SELECT "
                + ", ".join(f"(SELECT * FROM {name})" for name in names)
            )
            with connection.cursor() as cursor:
                cursor.execute(text, params)
                return list(cursor.fetchone())
        if len(rows) == 1:  # one statement is atomic on its own
            with connection.cursor() as cursor:
                return [rows[0][0].run(cursor, connection, params)]
        keys = []
        with transaction.atomic(using=alias, savepoint=False), connection.cursor() as cursor:
            at = 0
            for insert, _ in rows:
                width = len(insert.fields)
                keys.append(insert.run(cursor, connection, params[at : at + width]))
                at += width
        return keys
