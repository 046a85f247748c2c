"""Each chapter's gates and claims, computed from its study's stored runs through
:mod:`simaug.report` (one module per study, same name). The studies compute tables and
claim inputs; the verdicts are computed here, in the report layer, and nowhere else."""
