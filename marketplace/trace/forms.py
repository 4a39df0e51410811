"""Forms for an order's product story."""

from __future__ import annotations

from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.forms import Form
from marketplace.i18n import lazy_gettext as _l


class StoryForm(Form):
    """One party's answer to publishing the product story; the group also picks photos."""

    photo_ids = SelectMultipleField(
        _l("Progress photos to show"),
        coerce=int,
        choices=[],
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
