"""One form submission, one job: a double click or a resent POST must not start (or charge) twice.

A form that starts paid or slow work carries a one-time token (`SubmitOnceForm`); the row it creates
keeps the token, unique per owner, and `create_once` returns that row when the same submission
comes again. A form taken back (browser Back), changed and sent again is new work and makes a new row;
a submission whose work failed may be sent again to try again.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.db import IntegrityError, models, transaction


class SubmitOnceForm(forms.Form):
    submission = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission", uuid.uuid4())


def unique_submission(model_name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=["owner", "submission"], name=f"{model_name}_one_row_per_submission")


def create_once(
    model: type[models.Model], *, owner: Any, submission: uuid.UUID | None, **fields: Any
) -> tuple[models.Model, bool]:
    """Create the row, or return the one this submission made already. Returns (row, created).

    The same form changed and sent again is new work, under a token derived from the first and
    the new inputs, so a double click on the changed form is caught too. A row whose work failed
    gives its token up: sending the form again (say, after fixing the service key) tries again.
    """
    if submission is not None:
        earlier = _made_by(model, owner, submission)
        if earlier is not None and not _same_inputs(earlier, fields):
            submission = uuid.uuid5(submission, _fingerprint(fields))
            earlier = _made_by(model, owner, submission)
        if earlier is not None:
            if getattr(earlier, "status", None) != "failed":
                return earlier, False
            model.objects.filter(pk=earlier.pk).update(submission=None)
    try:
        with transaction.atomic():
            return model.objects.create(owner=owner, submission=submission, **fields), True
    except IntegrityError:
        if submission is None:
            raise
        # The twin request won the race by a hair: it is doing the work.
        return model.objects.get(owner=owner, submission=submission), False


def _made_by(model: type[models.Model], owner: Any, submission: uuid.UUID) -> models.Model | None:
    return model.objects.filter(owner=owner, submission=submission).first()


def _same_inputs(row: models.Model, fields: dict[str, Any]) -> bool:
    return all(getattr(row, name) == value for name, value in fields.items())


def _fingerprint(fields: dict[str, Any]) -> str:
    """The inputs as text: related rows by primary key."""
    return repr(
        sorted(
            (name, str(value.pk) if isinstance(value, models.Model) else repr(value)) for name, value in fields.items()
        )
    )
