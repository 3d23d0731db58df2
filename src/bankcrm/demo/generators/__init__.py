"""The demo bank's rows, generated chunk by chunk from the plan (see `chunk`)."""
