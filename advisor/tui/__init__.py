"""The wizard: a Textual app that interviews, gives a first opinion, measures live and recommends."""

from .app import WizardApp, create_app
from .job import LadderJob, Prepared, RunCancelled

__all__ = ["LadderJob", "Prepared", "RunCancelled", "WizardApp", "create_app"]
