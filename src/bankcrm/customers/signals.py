"""What the customers app announces, so the apps that hold a customer's records can follow
without the customers app naming them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the merge's transaction, after the merged customer's records moved to the
# survivor and the merged record was removed. Arguments: survivor (Customer), merged_no (str).
customer_merged = Signal()
