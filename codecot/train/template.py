"""The chat template used when a tokenizer has none.

Each message is written as a header line ``### System:`` / ``### User:`` / ``### Assistant:``,
its content, and the tokenizer's end-of-sequence token, followed by a blank line; a generation
prompt is the ``### Assistant:`` header alone.  The model therefore learns to end a rationale
with the EOS token, which stops generation.  The template is saved with the adapter's tokenizer,
so narration formats prompts the same way.
"""

from __future__ import annotations

from typing import Any

FALLBACK_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '### ' + (message['role'] | capitalize) + ':\\n' + message['content'] + eos_token + '\\n\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '### Assistant:\\n' }}{% endif %}"
)


def ensure_chat_template(tokenizer: Any) -> bool:
    """Give ``tokenizer`` the fallback template (and a pad token) when it lacks them; return
    whether the fallback template was installed."""
    if tokenizer.pad_token is None and tokenizer.eos_token is not None:
        tokenizer.pad_token = tokenizer.eos_token
    if getattr(tokenizer, "chat_template", None):
        return False
    tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
    return True
