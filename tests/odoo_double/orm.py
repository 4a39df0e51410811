"""The double's database: a few of Odoo's models, in memory, with Odoo's rules for what the connector uses."""

from __future__ import annotations

import copy
import datetime as dt
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class OdooError(Exception):
    """An error Odoo would raise; `name` is the Python class path Odoo reports."""

    name = "odoo.exceptions.UserError"
    xmlrpc_fault = 2  # Odoo's XML-RPC fault codes: 1 anything else, 2 user/validation, 4 access
    json2_status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UserError(OdooError):
    pass


class ValidationError(OdooError):
    name = "odoo.exceptions.ValidationError"


class AccessError(OdooError):
    name = "odoo.exceptions.AccessError"
    xmlrpc_fault = 4
    json2_status = 403


class OdooValueError(OdooError):
    name = "builtins.ValueError"
    xmlrpc_fault = 1
    json2_status = 500


class OdooAttributeError(OdooError):
    name = "builtins.AttributeError"
    xmlrpc_fault = 1
    json2_status = 404


class UnknownModel(UserError):
    """`Object x doesn't exist` over JSON-RPC/XML-RPC; a 404 over JSON-2."""

    json2_status = 404


@dataclass
class Field:
    type: str
    relation: str | None = None
    required: bool = False
    readonly: bool = False
    selection: list[list[str]] | None = None
    inverse: str | None = None  # for one2many: the many2one on the other side
    compute: Callable[[Database, str, dict[str, Any]], Any] | None = None
    default: Any = None


_MISSING = object()
_journal: list[tuple[Any, Any, Any]] | None = None  # (container, key, old value) while a call runs


class Row(dict):
    """A record's values; every change is journaled so a failed call can be undone."""

    def __setitem__(self, key: Any, value: Any) -> None:
        if _journal is not None:
            _journal.append((self, key, dict.get(self, key, _MISSING)))
        dict.__setitem__(self, key, value)

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]


class Table(dict):
    """A model's records by id, journaled like rows."""

    def __setitem__(self, key: Any, value: Any) -> None:
        if _journal is not None:
            _journal.append((self, key, dict.get(self, key, _MISSING)))
        dict.__setitem__(self, key, value if isinstance(value, Row) else Row(value))

    def pop(self, key: Any, *default: Any) -> Any:
        if _journal is not None and key in self:
            _journal.append((self, key, dict.__getitem__(self, key)))
        return dict.pop(self, key, *default)


@dataclass
class Model:
    name: str
    description: str
    fields: dict[str, Field]
    methods: dict[str, Callable[..., Any]] = field(default_factory=dict)
    records: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1
    display: Callable[[dict[str, Any]], str] = lambda values: values.get("name") or ""  # noqa: E731

    def __post_init__(self) -> None:
        self.records = Table({i: Row(r) for i, r in self.records.items()})


DATETIME = "%Y-%m-%d %H:%M:%S"


def _parse_datetime(value: Any) -> str | bool:
    if value is False or value is None:
        return False
    dt.datetime.strptime(value, DATETIME)  # raises ValueError with Odoo's very message
    return value


def _parse_date(value: Any) -> str | bool:
    if value is False or value is None:
        return False
    dt.datetime.strptime(value, "%Y-%m-%d")
    return value


class Database:
    """One Odoo database: its models, users and API keys, and the rules of each method the connector calls."""

    def __init__(self, name: str, version: int) -> None:
        self.name = name
        self.version = version
        self.models: dict[str, Model] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.api_keys: dict[str, int] = {}
        self.context: dict[str, Any] = {}  # the calling context of the current call (wizards' default_get, active_test read it)
        self.settings: dict[str, Any] = {}  # company settings a test may switch on (lock_confirmed_sales)
        self.rates: dict[int, Any] = {}  # currency id -> units per company currency unit
        self.clock = lambda: dt.datetime.now(dt.UTC).replace(microsecond=0)

    # ----- transactions: each RPC call is its own ----------------------------------------------

    def begin(self) -> Any:
        """Start journaling changes; return what `rollback` needs to undo them."""
        global _journal
        _journal = []
        return _journal, {name: m.next_id for name, m in self.models.items()}, copy.deepcopy(self.users)

    def commit(self) -> None:
        global _journal
        _journal = None

    def rollback(self, state: Any) -> None:
        global _journal
        journal, next_ids, users = state
        _journal = None
        for container, key, old in reversed(journal):
            if old is _MISSING:
                dict.pop(container, key, None)
            else:
                dict.__setitem__(container, key, old)
        for name, next_id in next_ids.items():
            self.models[name].next_id = next_id
        self.users = users

    # ----- access --------------------------------------------------------------------------------

    def model(self, name: str) -> Model:
        model = self.models.get(name)
        if model is None:
            raise UnknownModel(f"Object {name} doesn't exist")
        return model

    def check_create_rights(self, uid: int, model: Model) -> None:
        rights = self.users.get(uid, {}).get("create_forbidden", set())
        if model.name in rights:
            raise AccessError(
                f"You are not allowed to create '{model.description}' ({model.name}) records.\n\n"
                "This operation is allowed for the following groups:\n\t- Accounting/Billing"
            )

    # ----- values --------------------------------------------------------------------------------

    def _convert(self, model: Model, name: str, value: Any, record_id: int | None) -> Any:
        definition = model.fields.get(name)
        if definition is None:
            raise OdooValueError(
                f"Invalid field {name!r} on model {model.name!r}"
                if self.version < 19
                else f"Invalid field {name!r} in {model.name!r}"
            )
        if definition.type == "datetime":
            return _parse_datetime(value)
        if definition.type == "date":
            return _parse_date(value)
        if definition.type == "many2one":
            return value or False
        if definition.type == "many2many":
            ids: list[int] = []
            for command in value or []:
                if command[0] == 6:
                    ids = list(command[2])
                elif command[0] == 4:
                    ids.append(command[1])
            return ids
        if definition.type == "float":
            return float(value or 0)
        return value

    def display_name(self, model_name: str, record_id: int) -> str:
        model = self.models[model_name]
        return model.display(model.records[record_id])

    def create(self, uid: int, model_name: str, values_list: list[dict[str, Any]]) -> list[int]:
        model = self.model(model_name)
        self.check_create_rights(uid, model)
        created = []
        for values in values_list:
            record_id = model.next_id
            model.next_id += 1
            # `_given` remembers which fields the caller set: Odoo computes the others (a line's taxes from its product).
            row: dict[str, Any] = {
                "id": record_id,
                "create_date": self.clock().strftime(DATETIME),
                "create_uid": uid,
                "_given": tuple(values),
            }
            for name, definition in model.fields.items():
                if definition.type in ("one2many",) or definition.compute is not None or name in row:
                    continue
                row[name] = definition.default() if callable(definition.default) else definition.default
                if row[name] is None:
                    row[name] = [] if definition.type == "many2many" else False
            lines: dict[str, list[Any]] = {}
            for name, value in values.items():
                definition = model.fields.get(name)
                if definition is not None and definition.type == "one2many":
                    lines[name] = value
                    continue
                row[name] = self._convert(model, name, value, None)
            model.records[record_id] = row
            row = model.records[record_id]
            for name, commands in lines.items():
                self._one2many(uid, model, record_id, name, commands)
            hook = model.methods.get("_after_create")
            if hook:
                hook(self, uid, record_id)
            created.append(record_id)
        return created

    def _one2many(self, uid: int, model: Model, record_id: int, name: str, commands: list[Any]) -> None:
        definition = model.fields[name]
        for command in commands:
            if command[0] == 0:
                self.create(uid, definition.relation, [{**command[2], definition.inverse: record_id}])
            elif command[0] == 2:
                self.models[definition.relation].records.pop(command[1], None)
            else:
                raise OdooValueError(f"one2many command {command[0]} is not supported by the double")

    def write(self, uid: int, model_name: str, ids: list[int], values: dict[str, Any]) -> bool:
        model = self.model(model_name)
        for record_id in ids:
            row = model.records.get(record_id)
            if row is None:
                raise OdooError(f"Record does not exist or has been deleted.\n(Record: {model_name}({record_id},), User: {uid})")
            for name, value in values.items():
                definition = model.fields.get(name)
                if definition is not None and definition.type == "one2many":
                    self._one2many(uid, model, record_id, name, value)
                else:
                    row[name] = self._convert(model, name, value, record_id)
        return True

    def value(self, model: Model, row: dict[str, Any], name: str) -> Any:
        definition = model.fields.get(name)
        if definition is None and name in ("id", "create_date", "display_name"):
            return model.display(row) if name == "display_name" else row[name]
        if definition is None:
            raise OdooValueError(f"Invalid field {name!r} on model {model.name!r}")
        if definition.type == "one2many":
            related = self.models[definition.relation]
            return sorted(i for i, r in related.records.items() if r.get(definition.inverse) == row["id"])
        value = definition.compute(self, model.name, row) if definition.compute is not None else row.get(name, False)
        if definition.type == "many2one":
            return [value, self.display_name(definition.relation, value)] if value else False
        return value

    def read(self, model_name: str, ids: list[int], fields: list[str] | None) -> list[dict[str, Any]]:
        model = self.model(model_name)
        names = [f for f in (fields or list(model.fields)) if f != "id"]
        return [{"id": i, **{n: self.value(model, model.records[i], n) for n in names}} for i in ids if i in model.records]

    # ----- domains -------------------------------------------------------------------------------

    def _leaf(self, model: Model, row: dict[str, Any], leaf: list[Any]) -> bool:
        name, operator, target = leaf
        if name != "id" and name not in model.fields:
            word = "condition" if self.version >= 19 else "leaf"
            raise OdooValueError(f"Invalid field {model.name}.{name} in {word} {tuple(leaf)!r}")
        value = row["id"] if name == "id" else self.value(model, row, name)
        if isinstance(value, list) and model.fields.get(name, Field("x")).type == "many2one":
            value = value[0]
        if operator == "=":
            return value == target or (target is False and value in (False, None, ""))
        if operator == "!=":
            return value != target
        if operator == "in":
            return (set(value) & set(target)) if isinstance(value, list) else value in target
        if operator == "not in":
            return value not in target
        if operator in ("ilike", "like"):
            return isinstance(value, str) and (target.lower() in value.lower() if operator == "ilike" else target in value)
        if operator in ("<", "<=", ">", ">="):
            return (
                value is not False
                and {"<": value < target, "<=": value <= target, ">": value > target, ">=": value >= target}[operator]
            )
        raise OdooValueError(f"Invalid operator {operator!r}")

    def _matches(self, model: Model, row: dict[str, Any], domain: list[Any]) -> bool:
        stack: list[bool] = []
        for item in reversed(domain):
            if item == "&":
                stack.append(stack.pop() and stack.pop())
            elif item == "|":
                a, b = stack.pop(), stack.pop()
                stack.append(a or b)
            elif item == "!":
                stack.append(not stack.pop())
            else:
                stack.append(bool(self._leaf(model, row, item)))
        return all(stack)

    def search(
        self, model_name: str, domain: list[Any], *, offset: int = 0, limit: int | None = None, order: str | None = None
    ) -> list[int]:
        model = self.model(model_name)
        domain = list(domain or [])
        # Like Odoo, archived records are left out unless the domain speaks of `active` or the context says active_test False.
        if (
            "active" in model.fields
            and self.context.get("active_test", True)
            and not any(isinstance(leaf, (list, tuple)) and leaf[0] == "active" for leaf in domain)
        ):
            domain = [["active", "=", True], *domain]
        ids = [i for i, row in sorted(model.records.items()) if self._matches(model, row, domain)]
        if order and order.split()[0] != "id":
            key = order.split()[0]
            ids.sort(key=lambda i: model.records[i].get(key) or "", reverse=order.endswith("desc"))
        elif order and order.endswith("desc"):
            ids.reverse()
        return ids[offset : offset + limit if limit else None]

    def fields_get(self, model_name: str, attributes: list[str] | None) -> dict[str, dict[str, Any]]:
        model = self.model(model_name)
        result = {}
        for name, definition in model.fields.items():
            described: dict[str, Any] = {
                "type": definition.type,
                "string": name.replace("_", " ").title(),
                "readonly": definition.readonly,
                "required": definition.required,
            }
            if definition.relation:
                described["relation"] = definition.relation
            if definition.selection:
                described["selection"] = definition.selection
            result[name] = {k: v for k, v in described.items() if not attributes or k in attributes}
        if self.version >= 19:
            result = {
                "id": {
                    k: v
                    for k, v in {"type": "integer", "readonly": True, "required": False}.items()
                    if not attributes or k in attributes
                },
                "display_name": {
                    k: v
                    for k, v in {"type": "char", "readonly": True, "required": False}.items()
                    if not attributes or k in attributes
                },
                **result,
            }
        return result


def escape_plain(body: str) -> str:
    return f"<p>{html.escape(body, quote=False)}</p>"
