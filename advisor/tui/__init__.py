"""The wizard: a Textual app that interviews, gives a first opinion, measures live and recommends."""

from .app import WizardApp, create_app
from .job import LadderJob, Prepared, RunCancelled, RunChoices

__all__ = ["LadderJob", "Prepared", "RunCancelled", "RunChoices", "WizardApp", "create_app"]
