"""The HF narrator: a local causal LM writes rationales, constrained by the narration grammar."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from codecot.corpus import CorpusRecord
from codecot.errors import InvalidArgument
from codecot.narrate.base import DIRECTIONS, NarrationError, Rationale
from codecot.narrate.guided_defaults import (
    RESAMPLE_MIN_P,
    RESAMPLE_STEP,
    RESAMPLE_TEMPERATURE,
    SKIPS,
)
from codecot.narrate.hf.grammar import DEFAULT_MAX_STEPS

if TYPE_CHECKING:
    from codecot.narrate.guided import CheckerFactory

#: Values of ``--dtype``.
DTYPES = ("auto", "float32", "bfloat16", "float16")


@dataclass(frozen=True)
class HFSettings:
    """Generation settings of :class:`HFNarrator` (CLI options of ``codecot narrate``)."""

    model: str | None = None  # None: the embedded SmolLM2-135M-Instruct
    grounded: bool = True
    constrain: bool = True
    batch_size: int = 4
    max_new_tokens: int = 384
    temperature: float = 0.0  # 0: greedy
    seed: int = 0
    device: str = "cpu"
    threads: int | None = 1  # one thread is fastest on a busy 2-core machine
    examples: int = 2
    max_steps: int = DEFAULT_MAX_STEPS
    progress: bool = True
    prefix_cache: bool = True  # prefill a batch's shared prompt prefix once
    dtype: str = "auto"  # auto: bfloat16 on CUDA, float32 elsewhere
    guided: int = 0  # guided decoding: tries per step, each step checked (0: off)
    guided_temperature: float = RESAMPLE_TEMPERATURE  # temperature of a step's second try
    guided_temperature_step: float = RESAMPLE_STEP  # added to it for each further try
    guided_min_p: float = RESAMPLE_MIN_P  # resampled tries draw only tokens this share as likely
    guided_branch: bool = False  # every second further try branches off a refuted one
    guided_skips: int = SKIPS  # rounds of K failed tries a step may throw away, naming another line
    closing_reserve: int = 0  # tokens kept for the final line (0: estimated per record)
    adapter: str | None = None  # a `codecot train` folder or "none"; None: shipped (embedded model)
    prompt_form: str = "auto"  # auto: the adapter's form (short), long for a bare model
    program_constraints: bool = True  # constrained: narrow each grammar to the record's program

    def check(self) -> None:
        if self.batch_size < 1 or self.max_new_tokens < 1 or self.max_steps < 1:
            raise InvalidArgument("batch size, max new tokens and max steps must be positive")
        if self.temperature < 0:
            raise InvalidArgument("temperature must be >= 0")
        if self.guided < 0 or self.closing_reserve < 0 or self.guided_skips < 0:
            raise InvalidArgument("guided tries, guided skips and the closing reserve must be >= 0")
        if self.guided and not self.constrain:
            raise InvalidArgument("guided decoding needs constrained decoding (--constrain)")
        if self.guided_temperature <= 0 or self.guided_temperature_step < 0:
            raise InvalidArgument("the guided resampling temperature must be > 0 and its step >= 0")
        if not 0.0 <= self.guided_min_p < 1.0:
            raise InvalidArgument("the guided resampling min-p must be at least 0 and below 1")
        if self.threads is not None and self.threads < 1:
            raise InvalidArgument("threads must be positive")
        if self.dtype not in DTYPES:
            raise InvalidArgument(f"dtype must be one of {', '.join(DTYPES)}, not {self.dtype!r}")
        if self.prompt_form not in ("auto", "long", "short"):
            raise InvalidArgument(f"prompt form must be auto, long or short, not {self.prompt_form!r}")


Item = tuple[CorpusRecord, dict[str, Any], str]


class HFNarrator:
    """Rationales from a transformers causal LM (see DESIGN.md §7).

    The model loads on construction.  :meth:`narrate_many` generates in padded batches of
    prompts grouped by their context (system message and examples, so that a batch shares a
    long prefix for the :class:`~codecot.narrate.hf.generate.PrefixCache`), then by length;
    :meth:`narrate` is the one-record form of the protocol.  Decoding
    (:mod:`codecot.narrate.hf.decode`) steers each row to its final step when its token budget
    runs low; with ``settings.guided`` each step is checked as it is written by the step
    checkers of ``step_checkers`` (a :data:`~codecot.narrate.guided.CheckerFactory`; default:
    forward ones only, the pipeline gives both directions).
    """

    name = "hf"

    def __init__(self, settings: HFSettings | None = None, *, loaded: Any = None,
                 pool: Any = None, step_checkers: CheckerFactory | None = None) -> None:
        from codecot.narrate.hf.adapter import NarratorModel, load_narrator_model, prompt_form_for
        from codecot.narrate.hf.model import require_hf

        self.settings = settings or HFSettings()
        self.settings.check()
        require_hf()
        import torch

        if self.settings.threads is not None:
            torch.set_num_threads(self.settings.threads)
        s = self.settings
        chosen = (NarratorModel(loaded, None, prompt_form_for(None, s.prompt_form)) if loaded
                  else load_narrator_model(s.model, s.adapter, device=s.device, dtype=s.dtype,
                                           prompt_form=s.prompt_form))
        self.loaded, self.adapter, self.prompt_form = chosen.loaded, chosen.adapter, chosen.prompt_form
        self.pool = pool
        #: guided decoding's step checkers (``settings.guided`` > 0); None: forward ones only
        self.step_checkers = step_checkers
        self.prefix_cache = None
        if self.settings.prefix_cache:
            from codecot.narrate.hf.generate import PrefixCache

            self.prefix_cache = PrefixCache(self.loaded.model)
        self.constraint = None
        if self.settings.constrain:
            from codecot.narrate.constrain import GrammarConstraint

            vocab = int(self.loaded.model.get_output_embeddings().weight.shape[0])
            self.constraint = GrammarConstraint(self.loaded.tokenizer, vocab,
                                                self.settings.max_steps,
                                                threads=self.settings.threads)

    def prompt(self, record: CorpusRecord, trace: dict[str, Any], direction: str) -> str:
        """The chat-formatted prompt text for one record and direction."""
        return self.prompt_and_context(record, trace, direction)[0]

    def prompt_and_context(self, record: CorpusRecord, trace: dict[str, Any],
                           direction: str) -> tuple[str, str]:
        """The prompt text and its context: the chat-formatted messages before the record's
        own problem (the system message and the examples)."""
        from codecot.narrate.prompts import build_messages

        messages = build_messages(record, trace, direction, grounded=self.settings.grounded,
                                  examples=self.settings.examples, pool=self.pool,
                                  prompt_form=self.prompt_form)
        template = self.loaded.tokenizer.apply_chat_template
        prompt = str(template(messages, tokenize=False, add_generation_prompt=True))
        return prompt, str(template(messages[:-1], tokenize=False))

    def batch_key(self, prompt: str, context: str) -> tuple[str, int]:
        """Where a prompt goes in the batching order: by context (when the prefix cache is
        on, so that a batch shares it), then by length in tokens."""
        length = len(self.loaded.tokenizer(prompt, add_special_tokens=False)["input_ids"])
        return (context if self.settings.prefix_cache else "", length)

    def narrate(self, record: CorpusRecord, trace: dict[str, Any], direction: str) -> Rationale:
        result = self.narrate_many([(record, trace, direction)])[0]
        if isinstance(result, NarrationError):
            raise result
        return result

    def narrate_many(self, items: Sequence[Item],
                     on_tokens: Callable[[int], None] | None = None,
                     on_done: Callable[[int], None] | None = None,
                     ) -> list[Rationale | NarrationError]:
        """One rationale (or the error why not) per ``(record, trace, direction)``, in order."""
        from codecot.narrate.hf.generate import generate_batch

        s = self.settings
        out: list[Rationale | NarrationError | None] = [None] * len(items)
        prompts: list[tuple[int, str]] = []
        order: dict[int, tuple[str, int]] = {}
        for i, (record, trace, direction) in enumerate(items):
            if direction not in DIRECTIONS:
                out[i] = NarrationError(f"unknown direction {direction!r}")
            elif not trace.get("ok"):
                out[i] = NarrationError(f"record {record.id}: trace failed ({trace.get('error')})")
            else:
                prompt, context = self.prompt_and_context(record, trace, direction)
                prompts.append((i, prompt))
                order[i] = self.batch_key(prompt, context)
        prompts.sort(key=lambda p: order[p[0]])
        for start in range(0, len(prompts), s.batch_size):
            batch = prompts[start:start + s.batch_size]
            directions = [items[i][2] for i, _ in batch]
            gens = generate_batch(self.loaded.model, self.loaded.tokenizer, [p for _, p in batch],
                                  directions,
                                  constraint=self.constraint, max_new_tokens=s.max_new_tokens,
                                  temperature=s.temperature, seed=s.seed,
                                  max_steps=s.max_steps, on_tokens=on_tokens,
                                  prefix_cache=self.prefix_cache,
                                  **self._steering([items[i] for i, _ in batch]))
            for (i, _), gen in zip(batch, gens, strict=True):
                record, _, direction = items[i]
                out[i] = Rationale(
                    id=record.id, direction=direction, narrator=self.name, text=gen.text,
                    extra={"model": self.loaded.name, "adapter": self.adapter,
                           "prompt_form": self.prompt_form, "grounded": s.grounded,
                           "constrained": s.constrain,
                           "program_constrained": s.constrain and s.program_constraints,
                           "new_tokens": gen.tokens,
                           "finished": gen.finished, "temperature": s.temperature,
                           "seed": s.seed, "closed_early": gen.closed_early,
                           "guided": s.guided, "prompt_tokens": order[i][1],
                           **({"resamples": list(gen.resamples),
                               "skipped": list(gen.skipped)} if s.guided else {}),
                           **({"guided_branch": True} if s.guided and s.guided_branch
                              else {})})
            if on_done is not None:
                on_done(len(batch))
        return [r if r is not None else NarrationError("not generated") for r in out]

    def _steering(self, items: Sequence[Item]) -> dict[str, Any]:
        """The closing reserves of a batch's rows, their program facts (constrained, with
        ``settings.program_constraints``) and, when guided, their step checkers and tries
        (see :mod:`codecot.narrate.hf.decode`)."""
        from codecot.narrate.guided import forward_checkers
        from codecot.narrate.hf.closing import closing_reserve
        from codecot.narrate.hf.program_facts import program_facts

        s = self.settings
        reserves = [s.closing_reserve or closing_reserve(self.loaded.tokenizer, record, trace,
                                                         direction, s.max_new_tokens)
                    for record, trace, direction in items]
        programs = ([program_facts(record, trace) for record, trace, _ in items]
                    if s.constrain and s.program_constraints else None)
        if not s.guided:
            return {"reserves": reserves, "programs": programs}
        factory = self.step_checkers or forward_checkers
        return {"reserves": reserves, "programs": programs, "tries": s.guided,
                "resample_temperature": s.guided_temperature,
                "resample_step": s.guided_temperature_step,
                "resample_min_p": s.guided_min_p,
                "branch_min_p": s.guided_min_p if s.guided_branch else None,
                "skips": s.guided_skips,
                "checkers": [factory(record, trace, direction)
                             for record, trace, direction in items]}
