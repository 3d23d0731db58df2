"""What an import tells the rest of the project: the apps above it connect receivers here."""

from django.dispatch import Signal

# Sent by a landed import once its transaction has committed (not by a dry run or a rejected
# file). Sender: ImportRun. Arguments: ``run`` (the ImportRun), ``kind`` (the specs.Kind) and
# the row counts ``created``, ``updated``, ``unchanged`` and ``rejected``.
import_committed = Signal()
