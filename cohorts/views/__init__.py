"""The cohort reporting pages (namespace "cohorts"): the work queue and the cohort page (pages),
one POST view per step (actions), the documents' files (files)."""
