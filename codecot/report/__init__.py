"""Error-mode analysis and the HTML report of a run directory (``codecot report``)."""
