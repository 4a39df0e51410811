"""Rules every form follows, checked over all of Loom's forms at once."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil

import pytest
from flask_wtf import FlaskForm
from wtforms import DecimalField, FloatField, IntegerField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired

import erp_connector
import marketplace
import payments
from marketplace.producers.forms import capacity_form

NUMBERS = (IntegerField, DecimalField, FloatField)


def _all_form_classes() -> list[type[FlaskForm]]:
    for package in (marketplace, payments, erp_connector):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if module.name.endswith("forms"):
                importlib.import_module(module.name)
    found: list[type[FlaskForm]] = [capacity_form([dt.date(2027, 1, 4)])]
    pending = list(FlaskForm.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def _numeric_fields_with_data_required(cls: type[FlaskForm]) -> list[str]:
    bad = []
    for name in dir(cls):
        attr = getattr(cls, name, None)
        if isinstance(attr, UnboundField) and issubclass(attr.field_class, NUMBERS):
            validators = attr.kwargs.get("validators") or (attr.args[1] if len(attr.args) > 1 else [])
            if any(isinstance(v, DataRequired) for v in validators):
                bad.append(f"{cls.__name__}.{name}")
    return bad


@pytest.mark.parametrize("cls", _all_form_classes(), ids=lambda cls: cls.__name__)
def test_a_required_number_accepts_zero(cls: type[FlaskForm]) -> None:
    # DataRequired treats 0 as empty ("Enter a number (0 for none)" beside the 0): required numbers use InputRequired.
    assert _numeric_fields_with_data_required(cls) == []
