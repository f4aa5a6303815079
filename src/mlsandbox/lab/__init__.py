"""The lab: training from the page."""
