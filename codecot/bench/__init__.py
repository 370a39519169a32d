"""``codecot bench``: stage figures as JSON, one module per stage.

:mod:`.trace` (sandboxed tracing against a PySnooper baseline), :mod:`.verify` (verification
speed and mutant detection), :mod:`.solve` (input solving, optionally against CrossHair),
:mod:`.hf` (the HF narrator, constrained against free decoding), :mod:`.freeform` (the
free-form reader and checker against hand labels) and :mod:`.train` (training steps with the
completion-only loss against TRL's own).  The package itself imports
nothing, so each command loads only its own stage.
"""
